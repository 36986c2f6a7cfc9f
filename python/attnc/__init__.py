"""Run attnc-compiled models from Python (numpy only).

    import attnc
    model = attnc.load("model.so")          # attnc compile ... --emit=lib
    print(model.inputs, model.outputs)      # [TensorInfo(name, dtype, shape), ...]
    outputs = model.run(input_ids=ids)      # {"logits": np.ndarray, ...}

Inputs are checked against the model's manifest by the runtime (name, dtype,
shape); every error is raised as attnc.Error carrying the runtime's message.
Contiguous inputs of the right dtype are passed without a copy; outputs are
numpy arrays the model writes into directly.

The module loads the attnc runtime's C API from libattnc_runtime.so: the
path in $ATTNC_RUNTIME, else lib/ beside this package's install prefix or
the repository's build/lib.
"""
import ctypes
import os
from collections import namedtuple

import numpy as np

__all__ = ["Error", "Model", "TensorInfo", "load"]


class Error(RuntimeError):
    """An error reported by the attnc runtime (its message, verbatim)."""


# `shape` has None for a run-time dim (a model compiled with --max-shape),
# whose upper bound is in `max_shape`.
# cache_axis: for an input that is a KV cache kept in place (compiled with
# --kv-capacity), the dim holding its positions (else None); cache_capacity:
# the most positions a run may leave in it; cache_ring: for a sliding-window
# model's ring, how many last positions it keeps (its buffer has 2 x that
# many, position a at a % ring and ring + a % ring), else None;
# cache_present: the exported output it stands for.
TensorInfo = namedtuple("TensorInfo", ["name", "dtype", "shape", "max_shape", "cache_axis",
                                       "cache_capacity", "cache_ring", "cache_present"])

# attnc_dtype_t values (attnc/tensor.h) and their numpy dtypes.
_DTYPES = {1: np.float32, 2: np.float64, 3: np.float16, 5: np.int64, 6: np.int32,
           7: np.int16, 8: np.int8, 9: np.uint8, 10: np.bool_, 11: np.uint16, 12: np.uint32,
           13: np.uint64}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_size_t),
                ("dims", ctypes.POINTER(ctypes.c_int64)), ("element_count", ctypes.c_size_t),
                ("byte_size", ctypes.c_size_t), ("max_dims", ctypes.POINTER(ctypes.c_int64)),
                ("cache_axis", ctypes.c_int64), ("cache_capacity", ctypes.c_int64),
                ("cache_ring", ctypes.c_int64), ("cache_present", ctypes.c_char_p)]


class _Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_size_t),
                ("dims", ctypes.POINTER(ctypes.c_int64)), ("byte_size", ctypes.c_size_t)]


class _Sampling(ctypes.Structure):
    _fields_ = [("temperature", ctypes.c_float), ("top_k", ctypes.c_uint32),
                ("seed", ctypes.c_uint64)]


def _runtime_candidates():
    if os.environ.get("ATTNC_RUNTIME"):
        yield os.environ["ATTNC_RUNTIME"]
    here = os.path.dirname(os.path.abspath(__file__))
    for relative in ("../../lib", "../../build/lib", "../../../lib"):
        yield os.path.join(here, relative, "libattnc_runtime.so")


def _load_runtime():
    tried = []
    for path in _runtime_candidates():
        if os.path.exists(path):
            lib = ctypes.CDLL(path)
            break
        tried.append(path)
    else:
        raise Error("cannot find libattnc_runtime.so (set ATTNC_RUNTIME); tried " + ", ".join(tried))
    status = ctypes.c_void_p
    signatures = {
        "attnc_status_message": (ctypes.c_char_p, [status]),
        "attnc_status_free": (None, [status]),
        "attnc_model_load": (status, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]),
        "attnc_model_release": (None, [ctypes.c_void_p]),
        "attnc_model_input_count": (ctypes.c_size_t, [ctypes.c_void_p]),
        "attnc_model_output_count": (ctypes.c_size_t, [ctypes.c_void_p]),
        "attnc_model_input_info": (status, [ctypes.c_void_p, ctypes.c_size_t,
                                            ctypes.POINTER(_TensorInfo)]),
        "attnc_model_output_info": (status, [ctypes.c_void_p, ctypes.c_size_t,
                                             ctypes.POINTER(_TensorInfo)]),
        "attnc_model_output_shape": (status, [ctypes.c_void_p, ctypes.POINTER(_Tensor),
                                              ctypes.c_size_t, ctypes.c_size_t,
                                              ctypes.POINTER(ctypes.c_int64)]),
        "attnc_model_invoke": (status, [ctypes.c_void_p, ctypes.POINTER(_Tensor), ctypes.c_size_t,
                                        ctypes.POINTER(_Tensor), ctypes.c_size_t]),
        "attnc_generation_create": (status, [ctypes.c_void_p, ctypes.POINTER(_Sampling),
                                             ctypes.POINTER(ctypes.c_void_p)]),
        "attnc_generation_prefill": (status, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64),
                                              ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64)]),
        "attnc_generation_step": (status, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64)]),
        "attnc_generation_free": (None, [ctypes.c_void_p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


_runtime = None


def _rt():
    global _runtime
    if _runtime is None:
        _runtime = _load_runtime()
    return _runtime


def _check(status):
    """Raises the runtime's error for a non-null status (and frees it)."""
    if status:
        message = _rt().attnc_status_message(status).decode("utf-8", "replace")
        _rt().attnc_status_free(status)
        raise Error(message)


class Model:
    """A compiled model library, loaded through the attnc runtime."""

    def __init__(self, path):
        handle = ctypes.c_void_p()
        _check(_rt().attnc_model_load(os.fsencode(path), ctypes.byref(handle)))
        self._handle = handle
        self.inputs = self._describe(_rt().attnc_model_input_count, _rt().attnc_model_input_info)
        self.outputs = self._describe(_rt().attnc_model_output_count, _rt().attnc_model_output_info)

    def _describe(self, count, info):
        described = []
        for i in range(count(self._handle)):
            out = _TensorInfo()
            _check(info(self._handle, i, ctypes.byref(out)))
            shape = tuple(None if out.dims[d] < 0 else out.dims[d] for d in range(out.rank))
            cache = out.cache_axis >= 0
            described.append(TensorInfo(out.name.decode("utf-8", "replace"),
                                        np.dtype(_DTYPES.get(out.dtype, np.void)), shape,
                                        tuple(out.max_dims[d] for d in range(out.rank)),
                                        out.cache_axis if cache else None,
                                        out.cache_capacity if cache else None,
                                        out.cache_ring if cache and out.cache_ring else None,
                                        out.cache_present.decode("utf-8", "replace")
                                        if cache else None))
        return described

    def run(self, **inputs):
        """Runs the model on `inputs` (name=array); returns {name: array}."""
        known = {info.name for info in self.inputs}
        unknown = sorted(set(inputs) - known)
        if unknown:
            raise Error(f"model has no input named '{unknown[0]}'; its inputs are "
                        + ", ".join(f"'{info.name}'" for info in self.inputs))
        keep = []  # arrays and dims alive until the call returns

        def tensor(array, buffer=None):
            """`array`'s shape over its own bytes, or over `buffer`'s (a KV
            cache's whole buffer)."""
            data = array if buffer is None else buffer
            dims = (ctypes.c_int64 * max(array.ndim, 1))(*array.shape)
            keep.append((array, data, dims))
            code = _CODES.get(array.dtype, 0)
            return _Tensor(data.ctypes.data if data.nbytes else None, code, array.ndim,
                           dims, data.nbytes)

        ins = (_Tensor * max(len(self.inputs), 1))()
        for i, info in enumerate(self.inputs):
            if info.name not in inputs:
                raise Error(f"missing input '{info.name}'; the model's inputs are "
                            + ", ".join(f"'{x.name}'" for x in self.inputs))
            value = np.asarray(inputs[info.name])
            if value.dtype == info.dtype:
                value = np.ascontiguousarray(value)  # no copy when already contiguous
            ins[i] = tensor(value, self._cache_buffer(info, value))
        results = {}
        outs = (_Tensor * max(len(self.outputs), 1))()
        for i, info in enumerate(self.outputs):
            # The output's shape for these inputs (run-time dims filled in).
            shape = (ctypes.c_int64 * max(len(info.shape), 1))()
            _check(_rt().attnc_model_output_shape(self._handle, ins, len(self.inputs), i, shape))
            array = np.empty(tuple(shape[d] for d in range(len(info.shape))), dtype=info.dtype)
            results[info.name] = array
            outs[i] = tensor(array)
        _check(_rt().attnc_model_invoke(self._handle, ins, len(self.inputs), outs,
                                        len(self.outputs)))
        return results

    @staticmethod
    def _cache_buffer(info, value):
        """For a KV cache kept in place, a buffer with room for its capacity
        holding `value`'s positions first (the run appends after them; this
        copy is discarded), or a ring's buffer holding its last positions at
        their two slots each; None for any other input or a value that does
        not fit, which the runtime then refuses with its message."""
        if info.cache_axis is None or value.ndim != len(info.shape) or value.dtype != info.dtype:
            return None
        axis = info.cache_axis
        length = value.shape[axis]
        if length > info.cache_capacity:
            return None
        shape = list(value.shape)
        ring = info.cache_ring
        shape[axis] = 2 * ring if ring else info.cache_capacity
        buffer = np.zeros(shape, dtype=value.dtype)
        at = lambda positions: (slice(None),) * axis + (positions,)
        if not ring:
            buffer[at(slice(0, length))] = value
            return buffer
        for a in range(max(0, length - ring), length):
            buffer[at(a % ring)] = value[at(a)]
            buffer[at(ring + a % ring)] = value[at(a)]
        return buffer

    def generate(self, prompt_ids, max_new_tokens, temperature=0.0, top_k=0, seed=0):
        """Generates `max_new_tokens` token ids after `prompt_ids` with a decoder
        (attnc/generation.h: input_ids, optional past/present caches, logits);
        greedy unless `temperature` > 0. Returns the new ids as a list."""
        sampling = _Sampling(temperature, top_k, seed)
        session = ctypes.c_void_p()
        _check(_rt().attnc_generation_create(self._handle, ctypes.byref(sampling),
                                             ctypes.byref(session)))
        try:
            ids = (ctypes.c_int64 * max(len(prompt_ids), 1))(*prompt_ids)
            token = ctypes.c_int64()
            _check(_rt().attnc_generation_prefill(session, ids, len(prompt_ids),
                                                  ctypes.byref(token)))
            tokens = [token.value]
            while len(tokens) < max_new_tokens:
                _check(_rt().attnc_generation_step(session, ctypes.byref(token)))
                tokens.append(token.value)
            return tokens
        finally:
            _rt().attnc_generation_free(session)

    def close(self):
        if self._handle:
            _rt().attnc_model_release(self._handle)
            self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return f"attnc.Model(inputs={self.inputs}, outputs={self.outputs})"


def load(path):
    """Loads the model library at `path` (attnc compile ... --emit=lib)."""
    return Model(path)
