//===- Status.h - Building attnc_status_t from C++ --------------*- C++ -*-===//
//
// Internal helpers for the runtime's C entry points: make statuses from
// std::string messages and turn C++ allocation failures into statuses.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_SRC_STATUS_H
#define ATTNC_RUNTIME_SRC_STATUS_H

#include "attnc/status.h"

#include <new>
#include <string>

namespace attnc {

/// A new status with `code` and `message`; never throws.
attnc_status_t *makeStatus(attnc_status_code_t code,
                           const std::string &message) noexcept;

/// The shared static "out of memory" status.
attnc_status_t *outOfMemoryStatus() noexcept;

/// Runs `body` (returning attnc_status_t *) and maps an escaping
/// std::bad_alloc, the one exception the runtime's C++ can raise, to the
/// out-of-memory status so that nothing is thrown across the C API.
template <typename Fn> attnc_status_t *guardStatus(Fn &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return outOfMemoryStatus();
  } catch (...) {
    return makeStatus(ATTNC_STATUS_INTERNAL, "unexpected C++ exception");
  }
}

} // namespace attnc

#endif // ATTNC_RUNTIME_SRC_STATUS_H
