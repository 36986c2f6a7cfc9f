// RUN: attnc-opt %s -attn-kv-cache-in-place -verify-diagnostics

// The capacity is required.
// expected-error @+1 {{attn-kv-cache-in-place: capacity must be at least 1, got 0}}
func.func @no_capacity() {
  return
}
