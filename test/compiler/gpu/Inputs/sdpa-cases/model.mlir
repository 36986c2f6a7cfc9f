func.func @main(%q1: tensor<1x2x100x16xf32> {attnc.name = "q1"}, %k1: tensor<1x2x100x16xf32> {attnc.name = "k1"},
                %v1: tensor<1x2x100x16xf32> {attnc.name = "v1"},
                %q2: tensor<2x37x4x16xf32> {attnc.name = "q2"}, %k2: tensor<2x53x2x16xf32> {attnc.name = "k2"},
                %v2: tensor<2x53x2x8xf32> {attnc.name = "v2"},
                %q3: tensor<1x1x20x8xf32> {attnc.name = "q3"}, %k3: tensor<1x1x12x8xf32> {attnc.name = "k3"},
                %v3: tensor<1x1x12x8xf32> {attnc.name = "v3"},
                %q4: tensor<1x3x1x32xf32> {attnc.name = "q4"}, %k4: tensor<1x3x70x32xf32> {attnc.name = "k4"},
                %v4: tensor<1x3x70x32xf32> {attnc.name = "v4"},
                %q5: tensor<2x4x3x16xf32> {attnc.name = "q5"}, %k5: tensor<2x2x40x16xf32> {attnc.name = "k5"},
                %v5: tensor<2x2x40x16xf32> {attnc.name = "v5"}, %past: tensor<2xi64> {attnc.name = "past"},
                %keep: tensor<2x40xi1> {attnc.name = "keep"},
                %q6: tensor<2x4x9x16xf32> {attnc.name = "q6"}, %k6: tensor<2x4x9x16xf32> {attnc.name = "k6"},
                %v6: tensor<2x4x9x16xf32> {attnc.name = "v6"}, %bias: tensor<2x9xf32> {attnc.name = "bias"},
                %q7: tensor<1x4x1x16xf32> {attnc.name = "q7"}, %k7: tensor<1x2x600x16xf32> {attnc.name = "k7"},
                %v7: tensor<1x2x600x16xf32> {attnc.name = "v7"},
                %q8: tensor<2x2x70x64xf32> {attnc.name = "q8"}, %k8: tensor<2x2x150x64xf32> {attnc.name = "k8"},
                %v8: tensor<2x2x150x64xf32> {attnc.name = "v8"}, %bias8: tensor<2x150xf32> {attnc.name = "bias8"},
                %q9: tensor<1x2x256x32xf32> {attnc.name = "q9"}, %k9: tensor<1x2x256x32xf32> {attnc.name = "k9"},
                %v9: tensor<1x2x256x32xf32> {attnc.name = "v9"},
                %q10: tensor<1x2x96x32xf32> {attnc.name = "q10"}, %k10: tensor<1x2x192x32xf32> {attnc.name = "k10"},
                %v10: tensor<1x2x192x32xf32> {attnc.name = "v10"}, %keep10: tensor<1x192xi1> {attnc.name = "keep10"},
                %q11: tensor<2x4x2x80xf32> {attnc.name = "q11"}, %k11: tensor<2x1x333x80xf32> {attnc.name = "k11"},
                %v11: tensor<2x1x333x48xf32> {attnc.name = "v11"}, %past11: tensor<2xi64> {attnc.name = "past11"},
                %bias11: tensor<2x333xf32> {attnc.name = "bias11"})
    -> (tensor<1x2x100x16xf32> {attnc.name = "causal"}, tensor<2x37x4x8xf32> {attnc.name = "gqa_window"},
        tensor<1x1x20x8xf32> {attnc.name = "empty_rows"}, tensor<1x3x1x32xf32> {attnc.name = "one_query"},
        tensor<2x4x3x16xf32> {attnc.name = "decode_masked"}, tensor<2x4x9x16xf32> {attnc.name = "padding_bias"},
        tensor<1x4x1x16xf32> {attnc.name = "long_decode"}, tensor<2x2x70x64xf32> {attnc.name = "padded_keys"},
        tensor<1x2x256x32xf32> {attnc.name = "wide_window"}, tensor<1x2x96x32xf32> {attnc.name = "whole_tiles"},
        tensor<2x4x2x48xf32> {attnc.name = "decode_bias"}) {
  %o1 = attn.sdpa %q1, %k1, %v1 {scale = 0.25 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>) -> tensor<1x2x100x16xf32>
  %o2 = attn.sdpa %q2, %k2, %v2 {scale = 0.25 : f32, mask = #attn.window<left = 5, right = 3>,
                                 layout = #attn.layout<query = bshd, key = bshd, value = bshd, result = bshd>}
      : (tensor<2x37x4x16xf32>, tensor<2x53x2x16xf32>, tensor<2x53x2x8xf32>) -> tensor<2x37x4x8xf32>
  %o3 = attn.sdpa %q3, %k3, %v3 {scale = 0.5 : f32, mask = #attn.window<left = 0, right = 0>}
      : (tensor<1x1x20x8xf32>, tensor<1x1x12x8xf32>, tensor<1x1x12x8xf32>) -> tensor<1x1x20x8xf32>
  %o4 = attn.sdpa %q4, %k4, %v4 {scale = 0.17677669 : f32}
      : (tensor<1x3x1x32xf32>, tensor<1x3x70x32xf32>, tensor<1x3x70x32xf32>) -> tensor<1x3x1x32xf32>
  %o5 = attn.sdpa %q5, %k5, %v5 offset(%past) key_mask(%keep) {scale = 0.25 : f32, mask = #attn.window<left = 20, right = 0>}
      : (tensor<2x4x3x16xf32>, tensor<2x2x40x16xf32>, tensor<2x2x40x16xf32>, tensor<2xi64>, tensor<2x40xi1>) -> tensor<2x4x3x16xf32>
  %o6 = attn.sdpa %q6, %k6, %v6 key_mask(%bias) {scale = 0.25 : f32}
      : (tensor<2x4x9x16xf32>, tensor<2x4x9x16xf32>, tensor<2x4x9x16xf32>, tensor<2x9xf32>) -> tensor<2x4x9x16xf32>
  %o7 = attn.sdpa %q7, %k7, %v7 {scale = 0.25 : f32}
      : (tensor<1x4x1x16xf32>, tensor<1x2x600x16xf32>, tensor<1x2x600x16xf32>) -> tensor<1x4x1x16xf32>
  %o8 = attn.sdpa %q8, %k8, %v8 key_mask(%bias8) {scale = 0.125 : f32}
      : (tensor<2x2x70x64xf32>, tensor<2x2x150x64xf32>, tensor<2x2x150x64xf32>, tensor<2x150xf32>) -> tensor<2x2x70x64xf32>
  %o9 = attn.sdpa %q9, %k9, %v9 {scale = 0.17677669 : f32, mask = #attn.window<left = 160, right = 64>}
      : (tensor<1x2x256x32xf32>, tensor<1x2x256x32xf32>, tensor<1x2x256x32xf32>) -> tensor<1x2x256x32xf32>
  %o10 = attn.sdpa %q10, %k10, %v10 key_mask(%keep10) {scale = 0.17677669 : f32}
      : (tensor<1x2x96x32xf32>, tensor<1x2x192x32xf32>, tensor<1x2x192x32xf32>, tensor<1x192xi1>) -> tensor<1x2x96x32xf32>
  %o11 = attn.sdpa %q11, %k11, %v11 offset(%past11) key_mask(%bias11) {scale = 0.11180340 : f32, mask = #attn.window<left = 300, right = 0>}
      : (tensor<2x4x2x80xf32>, tensor<2x1x333x80xf32>, tensor<2x1x333x48xf32>, tensor<2xi64>, tensor<2x333xf32>) -> tensor<2x4x2x48xf32>
  return %o1, %o2, %o3, %o4, %o5, %o6, %o7, %o8, %o9, %o10, %o11 : tensor<1x2x100x16xf32>, tensor<2x37x4x8xf32>, tensor<1x1x20x8xf32>, tensor<1x3x1x32xf32>, tensor<2x4x3x16xf32>, tensor<2x4x9x16xf32>, tensor<1x4x1x16xf32>, tensor<2x2x70x64xf32>, tensor<1x2x256x32xf32>, tensor<1x2x96x32xf32>, tensor<2x4x2x48xf32>
}
