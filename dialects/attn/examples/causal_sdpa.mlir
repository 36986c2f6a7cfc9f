// A causal grouped-query attention as attn.sdpa: 8 query heads share 2
// key/value heads. `attnc-opt -attn-decompose-sdpa` expands it into the graph
// ops it stands for.
func.func @causal_gqa(%q: tensor<1x8x128x64xf32>, %k: tensor<1x2x128x64xf32>,
                      %v: tensor<1x2x128x64xf32>) -> tensor<1x8x128x64xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>)
      -> tensor<1x8x128x64xf32>
  return %o : tensor<1x8x128x64xf32>
}
