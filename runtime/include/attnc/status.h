/*===- attnc/status.h - Status objects returned by the runtime -----*- C -*-===*
 *
 * Every fallible runtime call returns an attnc_status_t pointer: NULL means
 * success, anything else is an error the caller owns and frees.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_STATUS_H
#define ATTNC_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/// What kind of failure a status describes.
typedef enum attnc_status_code_e {
  ATTNC_STATUS_OK = 0,
  /// A caller-supplied argument is wrong: a NULL pointer, a count, a tensor
  /// whose dtype, shape or byte size does not match the model.
  ATTNC_STATUS_INVALID_ARGUMENT = 1,
  /// A name or index does not exist in the model.
  ATTNC_STATUS_NOT_FOUND = 2,
  /// A model library could not be opened or lacks the model symbols.
  ATTNC_STATUS_UNAVAILABLE = 3,
  /// A model's manifest is malformed or of an unsupported version.
  ATTNC_STATUS_DATA_LOSS = 4,
  /// Memory could not be allocated.
  ATTNC_STATUS_RESOURCE_EXHAUSTED = 5,
  /// A runtime invariant broke; please report it.
  ATTNC_STATUS_INTERNAL = 6,
  /* Not a code: keeps the enum 32 bits wide for C and C++ alike. */
  ATTNC_STATUS_MAX_ENUM = 0x7fffffff,
} attnc_status_code_t;

/// An error: a code and a one-line, human-readable message.
///
/// Ownership: a status returned by any attnc_* call belongs to the caller,
/// who must release it with attnc_status_free() (NULL is fine to free).
/// Thread-safety: a status is immutable; reading one from several threads is
/// safe, freeing it while another thread reads it is not.
typedef struct attnc_status_t attnc_status_t;

/// True when `status` means success.
#define ATTNC_STATUS_IS_OK(status) ((status) == NULL)

/// Creates a status with `code` and a copy of `message` (NULL reads as "").
/// Returns NULL when `code` is ATTNC_STATUS_OK. Never fails: when memory is
/// short it returns a shared static "out of memory" status, which
/// attnc_status_free() accepts like any other.
attnc_status_t *attnc_status_create(attnc_status_code_t code,
                                    const char *message);

/// The code of `status`; ATTNC_STATUS_OK for NULL.
attnc_status_code_t attnc_status_code(const attnc_status_t *status);

/// The message of `status`, valid until the status is freed; "OK" for NULL.
/// Messages start lowercase, have no trailing period and name what they are
/// about, e.g. "input 'input_ids': expected shape [1, 8] (i64), got [1, 9]
/// (i64)".
const char *attnc_status_message(const attnc_status_t *status);

/// A short name for `code`, e.g. "INVALID_ARGUMENT".
const char *attnc_status_code_name(attnc_status_code_t code);

/// Releases `status`. NULL is a no-op.
void attnc_status_free(attnc_status_t *status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_STATUS_H */
