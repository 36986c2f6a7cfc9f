//===- RuntimeHandles.h - The runtime's C handles, owned in C++ -*- C++ -*-===//
//
// The driver runs compiled models through the runtime's public C API
// (`attnc check`, `attnc generate`); these own its handles and statuses.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_RUNTIMEHANDLES_H
#define ATTNC_COMPILER_RUNTIMEHANDLES_H

#include "attnc/runtime.h"

#include <memory>
#include <string>

namespace attnc {

struct ModelDeleter {
  void operator()(attnc_model_t *m) const { attnc_model_release(m); }
};
using ModelPtr = std::unique_ptr<attnc_model_t, ModelDeleter>;

/// The status's message (freeing it).
inline std::string takeMessage(attnc_status_t *status) {
  std::string message = attnc_status_message(status);
  attnc_status_free(status);
  return message;
}

} // namespace attnc

#endif // ATTNC_COMPILER_RUNTIMEHANDLES_H
