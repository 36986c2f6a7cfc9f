//===- Report.cpp - `attnc report`: what fusion did to each attention ---===//

#include "compiler/Report.h"
#include "compiler/NodeNames.h"
#include "passes/Transforms.h"
#include "passes/fusion/SdpaMatcher.h" // isAttentionSite
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/JSON.h"

#include <map>

using namespace mlir;
using namespace mlir::attn;

namespace attnc {
namespace {

struct SiteReport {
  Location softmaxLoc;
  std::vector<std::string> nodes;
  bool fused = false;
  std::string reason;
  // Filled from the fused op.
  WindowAttr window;
  std::optional<int64_t> offset;
  bool runtimeOffset = false, keyMask = false, denseMask = false;
  int64_t qHeads = 0, kvHeads = 0, s = 0, t = 0, d = 0;
};

/// The ONNX nodes a fused op covers (its location fuses theirs), in the
/// order the imported graph held them.
void collectCoveredNodes(Location fusedLoc,
                         const llvm::DenseMap<const void *, int64_t> &graphPosition,
                         std::vector<std::string> &names) {
  SmallVector<Location> parts;
  if (auto fused = dyn_cast<FusedLoc>(fusedLoc))
    llvm::append_range(parts, fused.getLocations());
  else
    parts.push_back(fusedLoc);
  auto position = [&](Location loc) {
    return graphPosition.lookup_or(loc.getAsOpaquePointer(), INT64_MAX);
  };
  llvm::stable_sort(parts, [&](Location a, Location b) { return position(a) < position(b); });
  for (Location part : parts)
    collectNodeNames(part, names);
}

bool containsLoc(Location haystack, Location needle) {
  if (haystack == needle)
    return true;
  if (auto fused = dyn_cast<FusedLoc>(haystack))
    return llvm::any_of(fused.getLocations(),
                        [&](Location l) { return containsLoc(l, needle); });
  return false;
}

std::string boundText(int64_t bound) {
  return bound == WindowAttr::kUnbounded ? "inf" : std::to_string(bound);
}

void printText(const std::vector<SiteReport> &sites, llvm::raw_ostream &os) {
  int fused = 0, structured = 0;
  for (auto [i, site] : llvm::enumerate(sites)) {
    os << "site " << i + 1 << ": " << (site.fused ? "fused" : "not fused") << "\n";
    os << "  nodes: " << llvm::join(site.nodes, ", ") << "\n";
    if (!site.fused) {
      os << "  reason: " << site.reason << "\n";
      continue;
    }
    ++fused;
    bool isStructured = site.window || site.keyMask;
    structured += isStructured;
    os << "  mask: ";
    if (site.window)
      os << "window<left = " << boundText(site.window.getLeft())
         << ", right = " << boundText(site.window.getRight()) << ">";
    else
      os << "no window";
    if (site.offset)
      os << ", offset " << *site.offset;
    else if (site.runtimeOffset)
      os << ", offset (run time)";
    os << ", key mask: " << (site.keyMask ? "yes" : "no")
       << ", dense mask: " << (site.denseMask ? "yes" : "no") << "\n";
    os << "  heads: q " << site.qHeads << ", kv " << site.kvHeads << "; S " << site.s
       << ", T " << site.t << ", D " << site.d << "\n";
  }
  os << "attention sites: " << sites.size() << ", fused: " << fused
     << ", structured masks: " << structured << "\n";
}

void printJson(const std::vector<SiteReport> &sites, llvm::raw_ostream &os) {
  llvm::json::Array array;
  int fused = 0, structured = 0;
  for (const SiteReport &site : sites) {
    llvm::json::Object entry;
    entry["nodes"] = llvm::json::Array(site.nodes);
    entry["fused"] = site.fused;
    entry["reason"] = site.fused ? llvm::json::Value(nullptr) : llvm::json::Value(site.reason);
    if (site.window) {
      auto bound = [](int64_t b) -> llvm::json::Value {
        if (b == WindowAttr::kUnbounded)
          return "inf";
        return b;
      };
      entry["window"] = llvm::json::Object{{"left", bound(site.window.getLeft())},
                                           {"right", bound(site.window.getRight())}};
    } else {
      entry["window"] = nullptr;
    }
    entry["offset"] = site.offset ? llvm::json::Value(*site.offset)
                                  : llvm::json::Value(nullptr);
    entry["key_mask"] = site.keyMask;
    entry["dense_mask"] = site.denseMask;
    // Zero stands for "not known" (an unfused site has no kv heads or D).
    auto known = [](int64_t x) { return x ? llvm::json::Value(x) : llvm::json::Value(nullptr); };
    entry["q_heads"] = known(site.qHeads);
    entry["kv_heads"] = known(site.kvHeads);
    entry["S"] = known(site.s);
    entry["T"] = known(site.t);
    entry["D"] = known(site.d);
    fused += site.fused;
    structured += site.fused && (site.window || site.keyMask);
    array.push_back(std::move(entry));
  }
  llvm::json::Object root{
      {"sites", std::move(array)},
      {"summary", llvm::json::Object{{"sites", (int64_t)sites.size()},
                                     {"fused", fused},
                                     {"structured", structured}}}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}

} // namespace

LogicalResult reportModel(MLIRContext &context, llvm::StringRef modelPath,
                          const CompileOptions &options, bool json,
                          llvm::raw_ostream &os) {
  OwningOpRef<ModuleOp> module = loadModel(context, modelPath, options);
  if (!module)
    return failure();
  PassManager cleanup(&context);
  cleanup.addPass(createCanonicalizerPass());
  cleanup.addPass(createCSEPass());
  if (failed(cleanup.run(*module)))
    return failure();
  {
    RewritePatternSet raise(&context);
    populateAttnRaiseSoftmaxPatterns(raise);
    if (failed(applyPatternsGreedily(*module, std::move(raise))))
      return failure();
  }

  // Every site, as the importer wrote it. Which nodes a fused site covers
  // is read from the fused op's location below, and why a site does not
  // fuse from attn-fuse-sdpa's own remarks: nothing here re-runs a matcher.
  std::vector<SiteReport> sites;
  llvm::DenseMap<const void *, int64_t> graphPosition;
  module->walk([&](Operation *op) {
    graphPosition.try_emplace(op->getLoc().getAsOpaquePointer(), graphPosition.size());
  });
  module->walk([&](SoftmaxOp softmax) {
    if (!isAttentionSite(softmax))
      return;
    SiteReport site{softmax.getLoc(), {}, false, "", {}, {}, false, false, false, 0, 0, 0, 0, 0};
    collectNodeNames(softmax.getLoc(), site.nodes);
    // Shapes of an unfused site, as far as the scores tell them.
    RankedTensorType scores = softmax.getType();
    int64_t rank = scores.getRank();
    site.s = rank >= 2 ? scores.getDimSize(rank - 2) : 0;
    site.t = scores.getDimSize(rank - 1);
    site.qHeads = rank == 4 ? scores.getDimSize(1) : 0;
    sites.push_back(std::move(site));
  });

  // The graph pipeline as attnc compile runs it, explaining: an unfused
  // site's reason is attn-fuse-sdpa's remark at its softmax.
  std::map<const void *, std::string> fuseReasons;
  const StringRef fusePrefix = "attn-fuse-sdpa: ";
  {
    ScopedDiagnosticHandler capture(&context, [&](Diagnostic &diag) -> LogicalResult {
      if (diag.getSeverity() != DiagnosticSeverity::Remark)
        return failure(); // errors and warnings go to the caller's handler
      std::string text = diag.str();
      if (StringRef(text).starts_with(fusePrefix))
        fuseReasons.emplace(diag.getLocation().getAsOpaquePointer(),
                            text.substr(fusePrefix.size()));
      return success();
    });
    PassManager fusion(&context);
    PipelineOptions pipeline = options.pipeline;
    pipeline.fuseAttention = true;
    pipeline.explain = true;
    buildAttnGraphPipeline(fusion, pipeline);
    if (failed(fusion.run(*module)))
      return failure();
  }
  for (SiteReport &site : sites) {
    auto reason = fuseReasons.find(site.softmaxLoc.getAsOpaquePointer());
    if (reason != fuseReasons.end())
      site.reason = reason->second;
  }
  module->walk([&](SdpaOp sdpa) {
    for (SiteReport &site : sites) {
      if (!containsLoc(sdpa.getLoc(), site.softmaxLoc))
        continue;
      site.fused = true;
      site.reason.clear();
      site.nodes.clear();
      collectCoveredNodes(sdpa.getLoc(), graphPosition, site.nodes);
      site.window = sdpa.getMaskAttr();
      if (Value offset = sdpa.getOffset()) {
        DenseElementsAttr dense;
        if (matchPattern(offset, m_Constant(&dense)) && dense.isSplat())
          site.offset = dense.getSplatValue<APInt>().getSExtValue();
        else
          site.runtimeOffset = true;
      }
      site.keyMask = (bool)sdpa.getKeyMask();
      site.denseMask = (bool)sdpa.getDenseMask();
      SdpaDims dims = sdpa.getDims();
      site.qHeads = dims.queryHeads;
      site.kvHeads = dims.kvHeads;
      site.s = dims.queryLen;
      site.t = dims.keyLen;
      site.d = dims.headDim;
    }
  });
  for (SiteReport &site : sites)
    if (!site.fused && site.reason.empty())
      site.reason = "matched, but the fused op did not survive the pipeline";

  if (json)
    printJson(sites, os);
  else
    printText(sites, os);
  return success();
}

} // namespace attnc
