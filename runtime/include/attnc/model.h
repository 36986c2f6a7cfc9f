/*===- attnc/model.h - Loading and running a compiled model --------*- C -*-===*
 *
 * A compiled model is native code exporting two C symbols, its manifest and
 * its entry point (see "The model ABI" below). An attnc_model_t wraps them:
 * it parses the manifest once, answers questions about inputs and outputs,
 * and checks every run's buffers before the model code sees them.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_MODEL_H
#define ATTNC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "attnc/status.h"
#include "attnc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The model ABI
 * -------------
 * A compiled model exports, with C linkage:
 *
 *   const char *attnc_model_manifest(void);
 *   void attnc_model_run(void **buffers);
 *
 * `buffers` holds the input data pointers in manifest order, then the output
 * data pointers; each points at contiguous row-major data of exactly the
 * declared dtype and shape, except a KV cache kept in place (a `cache`
 * line): its buffer has room for `capacity` positions along its cache dim,
 * the row-major layout of that larger shape, and the run writes the new
 * positions into it after the ones it holds. When the manifest declares a workspace, one more
 * pointer follows: `workspace` bytes of scratch memory, 64-byte aligned,
 * that the model uses for its intermediates and that no other run uses at
 * the same time (its contents need not survive between runs). When it
 * declares run-time dims, the last pointer is an `int64_t` array holding
 * each dim's value for this run, in `dim` line order. The manifest is
 * line-based text:
 *
 *   attnc-model 5
 *   workspace <bytes>
 *   dim <name> <bound>
 *   input <name> <dtype> <rank> <d0> <d1> ...
 *   cache <input name> <axis> <capacity> <extent after the run> <present name>
 *   output <name> <dtype> <rank> <d0> ...
 *
 * with the workspace line optional (version 1 has none; the runtime reads
 * versions 1 to 5) and `dim` lines only from version 3, before the inputs.
 * An extent is a count, or `$k` for the run-time dim of the k-th `dim` line
 * (0-based), which every run gives a value from 0 to its bound (0: an empty
 * KV cache, say); every such dim appears in some input. From version 4 an
 * output's extent may be a sum of terms joined by `+`, each an integer,
 * `$k` or `C*$k`: `$0+1` is a cache's past length plus one new row. Names
 * are percent-encoded (every byte outside [A-Za-z0-9_.:/-] written as %XX)
 * and dtypes spelled as attnc_dtype_name() spells them. From version 5 a
 * `cache` line marks an input declared before it as a KV cache kept in place
 * (`attnc compile --kv-capacity`): dim <axis> of the input, a run-time dim,
 * is how many positions it holds; its buffer has room for <capacity>; after
 * the run it holds <extent> (e.g. `$0+$1`, the cached plus the new
 * positions), which must not exceed the capacity; <present name> is the
 * exported output it stands for, no output of the compiled model. Static
 * models write
 * version 2, models with run-time dims version 3, 4 where an output needs a
 * sum, 5 with caches kept in place.
 *
 * The runtime's own functions never use those two symbol names, so a model
 * object and this runtime link into one executable without clashing. */

/// The signature of a compiled model's `attnc_model_run` entry point.
typedef void (*attnc_model_run_fn_t)(void **buffers);

/// A compiled model with its parsed manifest.
///
/// Ownership: reference counted. attnc_model_load() and
/// attnc_model_wrap_linked() return a model holding one reference;
/// attnc_model_retain() adds one and attnc_model_release() drops one; the
/// last release frees the model and closes its library.
/// Thread-safety: after creation a model is immutable. Every function below
/// may be called concurrently on the same model. Runs of the same model code
/// never overlap: attnc_model_invoke() holds a lock tied to the entry point
/// (shared by every model wrapping that code, and possibly by unrelated
/// models too), so compiled code need not be reentrant.
typedef struct attnc_model_t attnc_model_t;

/// Opens the compiled model library at `library_path` (dlopen with
/// RTLD_NOW | RTLD_LOCAL), finds its two ABI symbols and parses its manifest.
/// The path is a file path: "model.so" means ./model.so, never a search of
/// the library path.
/// Errors name the file: UNAVAILABLE when it cannot be opened or lacks a
/// symbol, DATA_LOSS when the manifest is malformed.
attnc_status_t *attnc_model_load(const char *library_path,
                                 attnc_model_t **out_model);

/// Wraps a model whose object is linked into the calling executable: pass
/// `attnc_model_manifest()` and `attnc_model_run`. Both are borrowed and must
/// stay valid while the model lives (they are static in a linked model).
attnc_status_t *attnc_model_wrap_linked(const char *manifest,
                                        attnc_model_run_fn_t run,
                                        attnc_model_t **out_model);

/// Adds a reference to `model`. NULL is a no-op.
void attnc_model_retain(attnc_model_t *model);

/// Drops a reference to `model`, freeing it with the last one. NULL is a
/// no-op.
void attnc_model_release(attnc_model_t *model);

/// Bytes of scratch memory the model's runs use (its planned intermediates,
/// allocated once when the model is loaded or wrapped; 0 for NULL).
size_t attnc_model_workspace_size(const attnc_model_t *model);

/// Number of inputs / outputs the manifest declares (0 for NULL).
size_t attnc_model_input_count(const attnc_model_t *model);
size_t attnc_model_output_count(const attnc_model_t *model);

/// Describes input / output `index` (0-based, manifest order). The pointers
/// written to `out_info` stay valid while the model lives. NOT_FOUND when the
/// index is out of range.
attnc_status_t *attnc_model_input_info(const attnc_model_t *model, size_t index,
                                       attnc_tensor_info_t *out_info);
attnc_status_t *attnc_model_output_info(const attnc_model_t *model,
                                        size_t index,
                                        attnc_tensor_info_t *out_info);

/// Finds the input / output called `name` (decoded, exact match) and writes
/// its index. NOT_FOUND, listing the model's names, when there is none.
attnc_status_t *attnc_model_find_input(const attnc_model_t *model,
                                       const char *name, size_t *out_index);
attnc_status_t *attnc_model_find_output(const attnc_model_t *model,
                                        const char *name, size_t *out_index);

/// Checks one caller buffer against input / output `index` without running
/// anything; the same check and wording attnc_model_invoke() uses, e.g.
/// "input 'input_ids': expected shape [1, 8] (i64), got [1, 9] (i64)". A
/// run-time dim is checked against its bounds only (whether inputs agree on
/// a shared dim needs all of them: attnc_model_invoke() checks that).
attnc_status_t *attnc_model_check_input(const attnc_model_t *model,
                                        size_t index,
                                        const attnc_tensor_t *tensor);
attnc_status_t *attnc_model_check_output(const attnc_model_t *model,
                                         size_t index,
                                         const attnc_tensor_t *tensor);

/// Writes to `out_dims` (the output's rank of them) the shape output `index`
/// has for a run on `inputs`: its declared dims, with each run-time dim at
/// the value the inputs give it. The inputs are checked as
/// attnc_model_invoke() checks them (INVALID_ARGUMENT naming the first
/// mismatch, e.g. a dim outside its bounds or two inputs that disagree on a
/// shared dim); NOT_FOUND when the index is out of range.
attnc_status_t *attnc_model_output_shape(const attnc_model_t *model,
                                         const attnc_tensor_t *inputs, size_t input_count,
                                         size_t index, int64_t *out_dims);

/// Writes to `out_length` how many positions input `index`, a KV cache kept
/// in place, holds after a run on `inputs` (its `cache` line's extent: the
/// cached ones and the run's new ones). The inputs are checked as
/// attnc_model_invoke() checks them; INVALID_ARGUMENT when the input is no
/// such cache, NOT_FOUND when the index is out of range.
attnc_status_t *attnc_model_cache_length(const attnc_model_t *model,
                                         const attnc_tensor_t *inputs, size_t input_count,
                                         size_t index, int64_t *out_length);

/// Runs the model once on caller-owned buffers: `inputs` in manifest order,
/// read only (but for KV caches kept in place, which the run appends to);
/// `outputs` in manifest order, written by the model.
///
/// Before calling the model it checks both counts and every tensor's dtype,
/// rank, dims and byte size against the manifest (run-time dims within their
/// bounds and the same wherever a dim is shared; outputs of the shape
/// attnc_model_output_shape() gives), and returns
/// INVALID_ARGUMENT naming the first mismatch with both shapes and dtypes.
/// Nothing is written to any output buffer when a check fails.
///
/// (This is the runtime's checked entry point; the compiled model's raw
/// `attnc_model_run(void **)` symbol is what it calls.)
attnc_status_t *attnc_model_invoke(attnc_model_t *model,
                                   const attnc_tensor_t *inputs,
                                   size_t input_count, attnc_tensor_t *outputs,
                                   size_t output_count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_MODEL_H */
