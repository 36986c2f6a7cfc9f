//===- Model.cpp - Load, wrap and query compiled models ---------*- C++ -*-===//

#include "runtime/src/Model.h"

#include "runtime/src/PercentEncoding.h"
#include "runtime/src/Shape.h"
#include "runtime/src/Status.h"

#include <dlfcn.h>
#include <sys/mman.h>

#include <cstdlib>
#include <memory>

using namespace attnc;

namespace {

using ManifestFn = const char *(*)();

constexpr char kManifestSymbol[] = "attnc_model_manifest";
constexpr char kRunSymbol[] = "attnc_model_run";

attnc_status_t *invalidArgument(const std::string &message) {
  return makeStatus(ATTNC_STATUS_INVALID_ARGUMENT, message);
}

/// Large workspaces are aligned to and advised as transparent huge pages:
/// the model sweeps through all of it every run.
constexpr size_t kHugePage = 2u << 20;

attnc_status_t *allocateWorkspace(attnc_model_t &model) {
  size_t bytes = model.manifest.workspaceBytes;
  if (!bytes)
    return nullptr;
  size_t alignment = bytes >= kHugePage ? kHugePage : 64;
  size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  if (rounded < bytes || posix_memalign(&model.workspace, alignment, rounded) != 0) {
    model.workspace = nullptr;
    return makeStatus(ATTNC_STATUS_RESOURCE_EXHAUSTED,
                      "cannot allocate the " + std::to_string(bytes) +
                          "-byte workspace of " + model.source);
  }
#ifdef MADV_HUGEPAGE
  if (alignment == kHugePage)
    madvise(model.workspace, rounded, MADV_HUGEPAGE);
#endif
  return nullptr;
}

/// Parses `manifestText` into a new model owned by `*outModel`.
attnc_status_t *finishModel(std::unique_ptr<attnc_model_t> model,
                            const char *manifestText,
                            attnc_model_t **outModel) {
  std::string error;
  if (!parseManifest(manifestText, model->manifest, error))
    return makeStatus(ATTNC_STATUS_DATA_LOSS,
                      "invalid manifest in " + model->source + ": " + error);
  if (attnc_status_t *status = allocateWorkspace(*model))
    return status;
  *outModel = model.release();
  return nullptr;
}

void fillInfo(const TensorDecl &decl, attnc_tensor_info_t *outInfo) {
  outInfo->name = decl.name.c_str();
  outInfo->dtype = decl.dtype;
  outInfo->rank = decl.dims.size();
  outInfo->dims = decl.dims.data();
  outInfo->max_dims = decl.maxDims.data();
  outInfo->element_count = decl.elementCount;
  outInfo->byte_size = decl.byteSize;
  outInfo->cache_axis = decl.cacheAxis;
  outInfo->cache_capacity = decl.cacheCapacity;
  outInfo->cache_ring = decl.cacheRing;
  outInfo->cache_present = decl.cacheAxis >= 0 ? decl.cachePresent.c_str() : nullptr;
}

attnc_status_t *info(const char *kind, const std::vector<TensorDecl> &decls,
                     size_t index, attnc_tensor_info_t *outInfo) {
  if (!outInfo)
    return invalidArgument("out_info is NULL");
  if (index >= decls.size())
    return indexOutOfRange(kind, index, decls.size());
  fillInfo(decls[index], outInfo);
  return nullptr;
}

attnc_status_t *find(const char *kind, const std::vector<TensorDecl> &decls,
                     const char *name, size_t *outIndex) {
  if (!name)
    return invalidArgument("name is NULL");
  if (!outIndex)
    return invalidArgument("out_index is NULL");
  for (size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == name) {
      *outIndex = i;
      return nullptr;
    }
  }
  return makeStatus(ATTNC_STATUS_NOT_FOUND,
                    std::string("model has no ") + kind + " named '" +
                        quoteForMessage(name) + "'; its " + kind + "s are " +
                        describeDecls(decls));
}

} // namespace

namespace attnc {
std::string describeDecls(const std::vector<TensorDecl> &decls) {
  constexpr size_t kShown = 16;
  if (decls.empty())
    return "(none)";
  std::string text;
  for (size_t i = 0; i < decls.size() && i < kShown; ++i) {
    if (i)
      text += ", ";
    text += describeNamedTensor(decls[i].name, decls[i].dtype, decls[i].dims.data(),
                                decls[i].dims.size());
  }
  if (decls.size() > kShown)
    text += ", ... (" + std::to_string(decls.size() - kShown) + " more)";
  return text;
}
} // namespace attnc

attnc_status_t *attnc::indexOutOfRange(const char *kind, size_t index,
                                       size_t count) {
  return makeStatus(ATTNC_STATUS_NOT_FOUND,
                    std::string(kind) + " index " + std::to_string(index) +
                        " is out of range (model has " + std::to_string(count) +
                        " " + kind + "s)");
}

attnc_model_t::~attnc_model_t() {
  std::free(workspace);
  if (library)
    dlclose(library);
}

extern "C" {

attnc_status_t *attnc_model_load(const char *library_path,
                                 attnc_model_t **out_model) {
  return guardStatus([&]() -> attnc_status_t * {
    if (!out_model)
      return invalidArgument("out_model is NULL");
    *out_model = nullptr;
    if (!library_path)
      return invalidArgument("library_path is NULL");
    auto model = std::make_unique<attnc_model_t>();
    model->source = "'" + quoteForMessage(library_path, 4096) + "'";

    // A bare file name means the file in the current directory, not a
    // search of the library path as dlopen would do.
    std::string path = library_path;
    if (path.find('/') == std::string::npos)
      path = "./" + path;
    dlerror();
    void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char *why = dlerror();
      return makeStatus(ATTNC_STATUS_UNAVAILABLE,
                        "cannot load model " + model->source + ": " +
                            (why ? why : "unknown dlopen error"));
    }
    model->library = library;

    auto manifestFn =
        reinterpret_cast<ManifestFn>(dlsym(library, kManifestSymbol));
    auto runFn =
        reinterpret_cast<attnc_model_run_fn_t>(dlsym(library, kRunSymbol));
    const char *missing =
        !manifestFn ? kManifestSymbol : (!runFn ? kRunSymbol : nullptr);
    if (missing)
      return makeStatus(ATTNC_STATUS_UNAVAILABLE,
                        model->source + " is not an attnc model: it does " +
                            "not export '" + missing + "'");
    model->run = runFn;
    const char *manifestText = manifestFn();
    if (!manifestText)
      return makeStatus(ATTNC_STATUS_DATA_LOSS,
                        "invalid manifest in " + model->source +
                            ": attnc_model_manifest() returned NULL");
    return finishModel(std::move(model), manifestText, out_model);
  });
}

attnc_status_t *attnc_model_wrap_linked(const char *manifest,
                                        attnc_model_run_fn_t run,
                                        attnc_model_t **out_model) {
  return guardStatus([&]() -> attnc_status_t * {
    if (!out_model)
      return invalidArgument("out_model is NULL");
    *out_model = nullptr;
    if (!manifest)
      return invalidArgument("manifest is NULL");
    if (!run)
      return invalidArgument("run function is NULL");
    auto model = std::make_unique<attnc_model_t>();
    model->source = "linked model";
    model->run = run;
    return finishModel(std::move(model), manifest, out_model);
  });
}

void attnc_model_retain(attnc_model_t *model) {
  if (model)
    model->references.fetch_add(1, std::memory_order_relaxed);
}

void attnc_model_release(attnc_model_t *model) {
  if (!model || model->references.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  delete model;
}

size_t attnc_model_input_count(const attnc_model_t *model) {
  return model ? model->manifest.inputs.size() : 0;
}

size_t attnc_model_workspace_size(const attnc_model_t *model) {
  return model ? model->manifest.workspaceBytes : 0;
}

size_t attnc_model_output_count(const attnc_model_t *model) {
  return model ? model->manifest.outputs.size() : 0;
}

attnc_status_t *attnc_model_input_info(const attnc_model_t *model, size_t index,
                                       attnc_tensor_info_t *out_info) {
  return guardStatus([&] {
    if (!model)
      return invalidArgument("model is NULL");
    return info("input", model->manifest.inputs, index, out_info);
  });
}

attnc_status_t *attnc_model_output_info(const attnc_model_t *model,
                                        size_t index,
                                        attnc_tensor_info_t *out_info) {
  return guardStatus([&] {
    if (!model)
      return invalidArgument("model is NULL");
    return info("output", model->manifest.outputs, index, out_info);
  });
}

attnc_status_t *attnc_model_find_input(const attnc_model_t *model,
                                       const char *name, size_t *out_index) {
  return guardStatus([&] {
    if (!model)
      return invalidArgument("model is NULL");
    return find("input", model->manifest.inputs, name, out_index);
  });
}

attnc_status_t *attnc_model_find_output(const attnc_model_t *model,
                                        const char *name, size_t *out_index) {
  return guardStatus([&] {
    if (!model)
      return invalidArgument("model is NULL");
    return find("output", model->manifest.outputs, name, out_index);
  });
}

} // extern "C"
