/*===- attnc/runtime.h - The attnc runtime C API -------------------*- C -*-===*
 *
 * Umbrella header: load a compiled model, ask its inputs and outputs, run it
 * on caller-owned buffers, generate text with a compiled decoder. Pure C11;
 * no C++, MLIR or LLVM types.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_RUNTIME_H
#define ATTNC_RUNTIME_H

#include "attnc/generation.h"
#include "attnc/model.h"
#include "attnc/status.h"
#include "attnc/tensor.h"

#endif /* ATTNC_RUNTIME_H */
