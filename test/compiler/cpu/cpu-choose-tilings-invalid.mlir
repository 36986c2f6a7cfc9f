// RUN: attnc-opt %s -cpu-choose-tilings="triple=x86_64-unknown-linux-gnu cpu=no-such-cpu" -verify-diagnostics
// RUN: not attnc-opt %s -cpu-choose-tilings="attention-kernel=fastest" 2>&1 | FileCheck %s --check-prefix=KERNEL
// RUN: not attnc-opt %s -cpu-choose-tilings="q-block=-4" 2>&1 | FileCheck %s --check-prefix=BLOCK

// An unknown target is named.
// expected-error @+1 {{unknown CPU 'no-such-cpu' for target 'x86_64-unknown-linux-gnu'}}
module {
}

// KERNEL: cpu-choose-tilings: attention-kernel must be auto, vector or portable, got 'fastest'
// BLOCK: cpu-choose-tilings: q-block and kv-block must be positive (or 0 for the cost model's), got -4 and 0
