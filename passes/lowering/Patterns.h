//===- Patterns.h - attn -> linalg/tensor/arith/math patterns ---*- C++ -*-===//
//
// The attn-to-linalg lowering, split by op family. Each populate function
// adds conversion patterns for static-shaped attn ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_LOWERING_PATTERNS_H
#define ATTNC_PASSES_LOWERING_PATTERNS_H

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::attn::lowering {

void populateElementwiseToLinalgPatterns(RewritePatternSet &patterns);
void populateDataMovementToLinalgPatterns(RewritePatternSet &patterns);
void populateContractionToLinalgPatterns(RewritePatternSet &patterns);
void populateNormalizationToLinalgPatterns(RewritePatternSet &patterns);

} // namespace mlir::attn::lowering

#endif // ATTNC_PASSES_LOWERING_PATTERNS_H
