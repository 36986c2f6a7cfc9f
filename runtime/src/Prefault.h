//===- Prefault.h - Map a model's weights before its first run -*- C++ -*-===//

#ifndef ATTNC_RUNTIME_SRC_PREFAULT_H
#define ATTNC_RUNTIME_SRC_PREFAULT_H

namespace attnc {

/// Maps the large read-only data segments (the weights: up to hundreds of
/// megabytes) of the loaded object that holds `codeAddress` into the page
/// tables now, one call per segment, so that the model's first run does
/// not take a page fault every few pages of them. Best effort: kernels
/// without MADV_POPULATE_READ (before Linux 5.14) get a read-ahead hint
/// instead, and nothing fails if the object is not found.
void prefaultReadOnlyData(const void *codeAddress);

} // namespace attnc

#endif // ATTNC_RUNTIME_SRC_PREFAULT_H
