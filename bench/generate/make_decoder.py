#!/usr/bin/python3
"""Export the decode benchmark's models, each with a KV cache.

  /usr/bin/python3 bench/generate/make_decoder.py OUT_DIR [--only gpt2|llama|llama_swa]

Writes, with fixed-seed N(0, 0.02) weights:

- OUT_DIR/gpt2_small_kv.onnx: test/models/generate.py's GPT-2 at GPT-2
  small's sizes (12 layers, d_model 768, 12 heads, FFN 3072, vocab 50257,
  tied unembedding) with 3072 positions, so that a 1024-token prompt and
  2048 cached positions both fit one artifact's bounds. Caches past_key_i /
  past_value_i [1, 12, past_sequence, 64].
- OUT_DIR/llama_2l_kv.onnx: test/models/generate.py's LLaMA-style model at
  TinyLlama-1.1B's layer shapes (hidden 2048, 32 query / 4 kv heads of 64,
  SwiGLU 5632, RMSNorm, RoPE, vocab 32000; 2 layers): grouped-query
  attention, caches [1, 4, past_sequence, 64] holding keys after RoPE.
- OUT_DIR/llama_2l_swa_kv.onnx: the same with Mistral's sliding-window
  mask (each query sees itself and the 255 positions before it), whose
  caches attnc keeps as rings of the window plus a run's tokens.

Inputs: input_ids [1, sequence] and the caches; outputs: logits [1,
sequence, vocab] and present_key_i / present_value_i [1, Hkv, past_sequence
+ sequence, 64]. One graph serves the prefill (an empty past) and every
decode step (one token).
"""
import argparse
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "test" / "models"))
import generate as g  # noqa: E402


def gpt2_small():
    layers, heads = 12, 12
    model = g.init_weights(
        g.GPT2LMHeadModel(vocab=50257, d=768, n_layer=layers, n_head=heads, max_pos=3072),
        "gpt2_small", std=0.02, embed_std=0.02)
    return g.GPT2DecodeStep(model).eval(), layers, heads


def llama_2l(sliding_window=None):
    layers, kv_heads = 2, 4
    model = g.init_weights(
        g.LlamaForCausalLM(vocab=32000, d=2048, n_layer=layers, n_head=32, n_kv_head=kv_heads,
                           inner=5632, eps=1e-5, sliding_window=sliding_window),
        "llama_2l", std=0.02)
    return g.LlamaDecodeStep(model).eval(), layers, kv_heads


def export(step, layers, kv_heads, path):
    ids = torch.zeros((1, 3), dtype=torch.int64)
    past = [torch.zeros((1, kv_heads, 5, 64)) for _ in range(2 * layers)]
    in_names, out_names = ["input_ids"], ["logits"]
    axes = {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}}
    for i in range(layers):
        for kind in ("key", "value"):
            in_names.append(f"past_{kind}_{i}")
            out_names.append(f"present_{kind}_{i}")
            axes[in_names[-1]] = {2: "past_sequence"}
            axes[out_names[-1]] = {2: "total_sequence"}
    with torch.no_grad():
        torch.onnx.export(step, (ids, *past), str(path), input_names=in_names,
                          output_names=out_names, dynamic_axes=axes, opset_version=17,
                          do_constant_folding=True)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--only", choices=["gpt2", "llama", "llama_swa"])
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    if args.only in (None, "gpt2"):
        export(*gpt2_small(), out / "gpt2_small_kv.onnx")
    if args.only in (None, "llama"):
        export(*llama_2l(), out / "llama_2l_kv.onnx")
    if args.only in (None, "llama_swa"):
        export(*llama_2l(sliding_window=256), out / "llama_2l_swa_kv.onnx")


if __name__ == "__main__":
    main()
