//===- MatchFailureRemarks.cpp - Why patterns did not fire, as remarks ---===//

#include "passes/MatchFailureRemarks.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include <set>
#include <string>

using namespace mlir;

namespace {

/// Collects each (location, reason) once, in the order reported.
struct ReasonCollector : RewriterBase::Listener {
  void notifyMatchFailure(Location loc,
                          function_ref<void(Diagnostic &)> reasonCallback) override {
    Diagnostic diagnostic(loc, DiagnosticSeverity::Remark);
    reasonCallback(diagnostic);
    std::string reason = diagnostic.str();
    if (seen.insert({loc.getAsOpaquePointer(), reason}).second)
      reasons.push_back({loc, std::move(reason)});
  }

  std::set<std::pair<const void *, std::string>> seen;
  SmallVector<std::pair<Location, std::string>> reasons;
};

} // namespace

LogicalResult mlir::attn::applyPatternsExplained(Operation *op,
                                                 const FrozenRewritePatternSet &patterns,
                                                 bool explain, StringRef passFlag) {
  if (failed(applyPatternsGreedily(op, patterns)))
    return failure();
  if (!explain)
    return success();
  ReasonCollector collector;
  GreedyRewriteConfig config;
  config.setListener(&collector);
  config.setMaxIterations(1);
  config.enableFolding(false);
  // Converged: this sweep rewrites nothing and only hears the reasons.
  (void)applyPatternsGreedily(op, patterns, config);
  for (auto &[loc, reason] : collector.reasons)
    emitRemark(loc) << passFlag << ": " << reason;
  return success();
}
