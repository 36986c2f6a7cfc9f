#!/usr/bin/python3
"""Export the decode benchmark's model: GPT-2 small with a KV cache.

  /usr/bin/python3 bench/generate/make_decoder.py OUT_DIR

Writes OUT_DIR/gpt2_small_kv.onnx: test/models/generate.py's GPT-2 at GPT-2
small's sizes (12 layers, d_model 768, 12 heads, FFN 3072, vocab 50257, tied
unembedding; fixed-seed N(0, 0.02) weights) with 3072 positions, so that a
1024-token prompt and 2048 cached positions both fit one artifact's bounds. Inputs: input_ids [1, sequence] and
past_key_i / past_value_i [1, 12, past_sequence, 64] for each layer; outputs:
logits [1, sequence, 50257] and present_key_i / present_value_i [1, 12,
past_sequence + sequence, 64]. One graph serves the prefill (an empty past)
and every decode step (one token).
"""
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "test" / "models"))
import generate as g  # noqa: E402

LAYERS, HEADS, HEAD_DIM, POSITIONS = 12, 12, 64, 3072


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    model = g.init_weights(
        g.GPT2LMHeadModel(vocab=50257, d=768, n_layer=LAYERS, n_head=HEADS, max_pos=POSITIONS),
        "gpt2_small", std=0.02, embed_std=0.02)
    step = g.GPT2DecodeStep(model).eval()
    ids = torch.zeros((1, 3), dtype=torch.int64)
    past = [torch.zeros((1, HEADS, 5, HEAD_DIM)) for _ in range(2 * LAYERS)]
    in_names, out_names = ["input_ids"], ["logits"]
    axes = {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}}
    for i in range(LAYERS):
        for kind in ("key", "value"):
            in_names.append(f"past_{kind}_{i}")
            out_names.append(f"present_{kind}_{i}")
            axes[in_names[-1]] = {2: "past_sequence"}
            axes[out_names[-1]] = {2: "total_sequence"}
    with torch.no_grad():
        torch.onnx.export(step, (ids, *past), str(out / "gpt2_small_kv.onnx"),
                          input_names=in_names, output_names=out_names, dynamic_axes=axes,
                          opset_version=17, do_constant_folding=True)
    print(f"wrote {out / 'gpt2_small_kv.onnx'}")


if __name__ == "__main__":
    main()
