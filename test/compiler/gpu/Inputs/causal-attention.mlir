func.func @main(%q: tensor<1x2x8x16xf32> {attnc.name = "q"}, %k: tensor<1x2x8x16xf32> {attnc.name = "k"},
                %v: tensor<1x2x8x16xf32> {attnc.name = "v"}) -> (tensor<1x2x8x16xf32> {attnc.name = "o"}) {
  %o = attn.sdpa %q, %k, %v {scale = 0.25 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
