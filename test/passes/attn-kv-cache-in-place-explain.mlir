// RUN: attnc-opt %s -split-input-file -attn-kv-cache-in-place="capacity=64 explain=true" -verify-diagnostics -o /dev/null

// With `explain`, why a returned concat stays a copy, as a remark at it.

func.func @not_an_argument(%x: tensor<1x?x8xf32>, %new: tensor<1x1x8xf32>) -> tensor<1x?x8xf32> {
  %past = attn.exp %x : tensor<1x?x8xf32>
  // expected-remark @+1 {{attn-kv-cache-in-place: stays a copy: its first input is not an argument of the function (a past cache)}}
  %all = attn.concat %past, %new {axis = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x1x8xf32>) -> tensor<1x?x8xf32>
  return %all : tensor<1x?x8xf32>
}

// -----

func.func @static_length(%past: tensor<1x7x8xf32>, %new: tensor<1x1x8xf32>) -> tensor<1x8x8xf32> {
  // expected-remark @+1 {{attn-kv-cache-in-place: stays a copy: the past's length (dim 1) is not a run-time dim}}
  %all = attn.concat %past, %new {axis = 1 : i64} : (tensor<1x7x8xf32>, tensor<1x1x8xf32>) -> tensor<1x8x8xf32>
  return %all : tensor<1x8x8xf32>
}

// -----

func.func @run_time_batch(%past: tensor<?x?x8xf32>, %new: tensor<?x1x8xf32>) -> tensor<?x?x8xf32> {
  // expected-remark @+1 {{attn-kv-cache-in-place: stays a copy: the past has another run-time dim (0) besides its length; the cache buffer's layout must be static}}
  %all = attn.concat %past, %new {axis = 1 : i64} : (tensor<?x?x8xf32>, tensor<?x1x8xf32>) -> tensor<?x?x8xf32>
  return %all : tensor<?x?x8xf32>
}

// -----

func.func @past_read_too(%past: tensor<1x?x8xf32>, %new: tensor<1x1x8xf32>) -> (tensor<1x?x8xf32>, tensor<1x?x8xf32>) {
  %e = attn.exp %past : tensor<1x?x8xf32>
  // expected-remark @+1 {{attn-kv-cache-in-place: stays a copy: the past is read by 'attn.exp' too, which an in-place append would race with}}
  %all = attn.concat %past, %new {axis = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x1x8xf32>) -> tensor<1x?x8xf32>
  return %e, %all : tensor<1x?x8xf32>, tensor<1x?x8xf32>
}

// -----

func.func @returned_twice(%past: tensor<1x?x8xf32>, %new: tensor<1x1x8xf32>) -> (tensor<1x?x8xf32>, tensor<1x?x8xf32>) {
  // expected-remark @+1 {{attn-kv-cache-in-place: stays a copy: it is returned 2 times}}
  %all = attn.concat %past, %new {axis = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x1x8xf32>) -> tensor<1x?x8xf32>
  return %all, %all : tensor<1x?x8xf32>, tensor<1x?x8xf32>
}

// -----

func.func @three_parts(%past: tensor<1x?x8xf32>, %a: tensor<1x1x8xf32>, %b: tensor<1x1x8xf32>) -> tensor<1x?x8xf32> {
  // expected-remark @+1 {{attn-kv-cache-in-place: stays a copy: it joins 3 tensors, not a past and the step's rows}}
  %all = attn.concat %past, %a, %b {axis = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x1x8xf32>, tensor<1x1x8xf32>) -> tensor<1x?x8xf32>
  return %all : tensor<1x?x8xf32>
}

// -----

// A window of 40 and a run of 1: a ring of 41 slots (82 in its buffer)
// would take more than the capacity of 64.
func.func @ring_not_smaller(%q: tensor<1x2x1x8xf32>, %past_k: tensor<1x2x?x8xf32>, %past_v: tensor<1x2x?x8xf32>,
                            %new_k: tensor<1x2x1x8xf32>, %new_v: tensor<1x2x1x8xf32>, %offset: tensor<i64>)
    -> (tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  // expected-remark @+1 {{attn-kv-cache-in-place: no ring: a ring of the window and a run's rows would take no less memory than the capacity, or the rows have no bound}}
  %k = attn.concat %past_k, %new_k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %v = attn.concat %past_v, %new_v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %o = attn.sdpa %q, %k, %v offset(%offset) {mask = #attn.window<left = 40, right = 0>, scale = 0.35 : f32} : (tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<i64>) -> tensor<1x2x1x8xf32>
  return %o, %k, %v : tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// A cache something else reads besides attention keeps every position.
func.func @read_elsewhere(%q: tensor<1x2x1x8xf32>, %past_k: tensor<1x2x?x8xf32>, %past_v: tensor<1x2x?x8xf32>,
                          %new_k: tensor<1x2x1x8xf32>, %new_v: tensor<1x2x1x8xf32>, %offset: tensor<i64>)
    -> (tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  // expected-remark @+1 {{attn-kv-cache-in-place: no ring: 'attn.exp' reads it, not attention}}
  %k = attn.concat %past_k, %new_k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %v = attn.concat %past_v, %new_v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %o = attn.sdpa %q, %k, %v offset(%offset) {mask = #attn.window<left = 3, right = 0>, scale = 0.35 : f32} : (tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<i64>) -> tensor<1x2x1x8xf32>
  %e = attn.exp %k : tensor<1x2x?x8xf32>
  return %o, %k, %v, %e : tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}
