// RUN: attnc-opt %s -attn-plan-memory="alignment=48" -verify-diagnostics

// expected-error @+1 {{attn-plan-memory: alignment must be a positive power of two, got 48}}
func.func @bad_alignment() {
  return
}
