//===- Patterns.h - attn -> linalg/tensor/arith/math patterns ---*- C++ -*-===//
//
// The attn-to-linalg lowering, split by op family. Each populate function
// adds conversion patterns for static-shaped attn ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_LOWERING_PATTERNS_H
#define ATTNC_PASSES_LOWERING_PATTERNS_H

#include "passes/lowering/LinalgBuilders.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::attn::lowering {

// The ops in `unsignedOps` had unsigned integers (now signless): the
// patterns that depend on signedness read it there.
void populateElementwiseToLinalgPatterns(RewritePatternSet &patterns,
                                         const UnsignedOps &unsignedOps);
void populateDataMovementToLinalgPatterns(RewritePatternSet &patterns);
void populateContractionToLinalgPatterns(RewritePatternSet &patterns);
void populateNormalizationToLinalgPatterns(RewritePatternSet &patterns,
                                           const UnsignedOps &unsignedOps);

/// Makes every integer in `func` signless (types of values, the
/// signature, constants' attributes) and returns the ops that had
/// unsigned ones, with which side did.
UnsignedOps makeIntegersSignless(func::FuncOp func);

} // namespace mlir::attn::lowering

#endif // ATTNC_PASSES_LOWERING_PATTERNS_H
