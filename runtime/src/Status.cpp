//===- Status.cpp - attnc_status_t objects ----------------------*- C++ -*-===//
//
// A status is one malloc'd block: header then NUL-terminated message. The
// out-of-memory status is static so that reporting OOM needs no memory.
//
//===----------------------------------------------------------------------===//

#include "runtime/src/Status.h"

#include <cstdlib>
#include <cstring>

struct attnc_status_t {
  attnc_status_code_t code;
  const char *message;
  bool isStatic;
};

namespace {
attnc_status_t outOfMemory = {ATTNC_STATUS_RESOURCE_EXHAUSTED, "out of memory",
                              true};

attnc_status_t *allocateStatus(attnc_status_code_t code, const char *message,
                               size_t length) noexcept {
  void *block = std::malloc(sizeof(attnc_status_t) + length + 1);
  if (!block)
    return &outOfMemory;
  auto *status = static_cast<attnc_status_t *>(block);
  char *text = static_cast<char *>(block) + sizeof(attnc_status_t);
  if (length)
    std::memcpy(text, message, length);
  text[length] = '\0';
  status->code = code;
  status->message = text;
  status->isStatic = false;
  return status;
}
} // namespace

namespace attnc {
attnc_status_t *makeStatus(attnc_status_code_t code,
                           const std::string &message) noexcept {
  if (code == ATTNC_STATUS_OK)
    return nullptr;
  return allocateStatus(code, message.data(), message.size());
}

attnc_status_t *outOfMemoryStatus() noexcept { return &outOfMemory; }
} // namespace attnc

extern "C" {

attnc_status_t *attnc_status_create(attnc_status_code_t code,
                                    const char *message) {
  if (code == ATTNC_STATUS_OK)
    return nullptr;
  if (!message)
    message = "";
  return allocateStatus(code, message, std::strlen(message));
}

attnc_status_code_t attnc_status_code(const attnc_status_t *status) {
  return status ? status->code : ATTNC_STATUS_OK;
}

const char *attnc_status_message(const attnc_status_t *status) {
  return status ? status->message : "OK";
}

const char *attnc_status_code_name(attnc_status_code_t code) {
  switch (code) {
  case ATTNC_STATUS_OK:
    return "OK";
  case ATTNC_STATUS_INVALID_ARGUMENT:
    return "INVALID_ARGUMENT";
  case ATTNC_STATUS_NOT_FOUND:
    return "NOT_FOUND";
  case ATTNC_STATUS_UNAVAILABLE:
    return "UNAVAILABLE";
  case ATTNC_STATUS_DATA_LOSS:
    return "DATA_LOSS";
  case ATTNC_STATUS_RESOURCE_EXHAUSTED:
    return "RESOURCE_EXHAUSTED";
  case ATTNC_STATUS_INTERNAL:
    return "INTERNAL";
  case ATTNC_STATUS_MAX_ENUM:
    break;
  }
  return "UNKNOWN";
}

void attnc_status_free(attnc_status_t *status) {
  if (status && !status->isStatic)
    std::free(status);
}

} // extern "C"
