#!/usr/bin/python3
"""Export the full-size benchmark models (fixed-seed weights, torch 1.13).

  /usr/bin/python3 bench/models/make_large_models.py OUT_DIR [--only NAME ...] [--seq 128 1024]

Writes one ONNX test directory per (model, sequence length), in the layout of
test/models/generate.py (model.onnx, test_data_set_0/{input,output}_K.pb with
torch's outputs):

  gpt2_small_S     GPT-2 small: 12 layers, d_model 768, 12 heads, FFN 3072,
                   vocab 50257, tied unembedding (124 M parameters)
  bert_base_S      BERT-base: 12 layers, hidden 768, FFN 3072, erf GELU,
                   vocab 30522; batch 2, the second row right-padded by S/4
                   with `attention_mask`
  llama_2l_S       TinyLlama-1.1B layer shapes, 2 layers: hidden 2048, 32 query
                   / 4 kv heads, SwiGLU 5632, RMSNorm, RoPE, vocab 32000

and, at their one real size each (--seq does not apply):

  vit_base         ViT-B/16: a 224 x 224 image as 196 patches of 16 x 16 (a
                   Conv2d patch embedding) plus the class token, 12 layers,
                   768, 12 heads, FFN 3072, 1000 classes (86 M parameters)
  whisper_base     Whisper-base: 80 mel bins x 3000 frames through two
                   Conv1d (the second with stride 2) into 1500 encoder
                   positions, 6 encoder and 6 decoder layers, 512, 8 heads,
                   FFN 2048, vocab 51865, 4 decoder tokens

The architectures are test/models/generate.py's; only their sizes differ.
Weights are N(0, 0.02) (embeddings N(0, 0.02) too), as the real models are
initialised, so activations stay in a realistic range.

--tiled-weights PERIOD (written as NAME_tiled_S): each parameter's values
repeat its own first PERIOD random values along its memory. The work and
memory traffic of a run are those of the real model (every tensor stays
distinct and full size), but the model and anything compiled from it
compress to a few MB: that is how a GPT-2-small-sized executable travels
to a GPU machine (bench/gpu/prepare.py --whole-model). Use a prime PERIOD
(4099), so that no weight matrix's rows repeat (its rank stays full).
"""
import argparse
import os
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "test" / "models"))
import generate as g  # noqa: E402


def gpt2_small(seq):
    model = g.init_weights(
        g.GPT2LMHeadModel(vocab=50257, d=768, n_layer=12, n_head=12, max_pos=1024),
        "gpt2_small", std=0.02, embed_std=0.02)
    ids = g.rand_ids(g.rng_for(f"gpt2_small_{seq}"), (1, seq), 50257)
    return g.ModelSpec(g.GPT2Logits(model).eval(), [(ids,)], ["input_ids"], ["logits"],
                       {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}})


def bert_base(seq):
    model = g.init_weights(
        g.BertModel(vocab=30522, d=768, n_layer=12, n_head=12, inner=3072, max_pos=max(seq, 512)),
        "bert_base", std=0.02, embed_std=0.02)
    ids = g.rand_ids(g.rng_for(f"bert_base_{seq}"), (2, seq), 30522)
    mask = torch.ones((2, seq), dtype=torch.int64)
    mask[1, seq - seq // 4:] = 0
    return g.ModelSpec(model, [(ids, mask)], ["input_ids", "attention_mask"],
                       ["last_hidden_state", "pooler_output"],
                       {"input_ids": {1: "sequence"}, "attention_mask": {1: "sequence"},
                        "last_hidden_state": {1: "sequence"}}, opset=14)


def llama_2l(seq):
    model = g.init_weights(
        g.LlamaForCausalLM(vocab=32000, d=2048, n_layer=2, n_head=32, n_kv_head=4, inner=5632,
                           eps=1e-5),
        "llama_2l", std=0.02, embed_std=0.02)
    ids = g.rand_ids(g.rng_for(f"llama_2l_{seq}"), (1, seq), 32000)
    return g.ModelSpec(model, [(ids,)], ["input_ids"], ["logits"],
                       {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}})


def vit_base():
    model = g.init_weights(
        g.ViT(image=224, patch=16, chans=3, d=768, n_layer=12, n_head=12, inner=3072,
              classes=1000), "vit_base", std=0.02, embed_std=0.02)
    pixels = g.rand_floats(g.rng_for("vit_base"), (1, 3, 224, 224))
    return g.ModelSpec(model, [(pixels,)], ["pixel_values"], ["logits"], {}, opset=14)


def whisper_base():
    model = g.init_weights(
        g.Whisper(n_mels=80, d=512, n_head=8, n_enc=6, n_dec=6, inner=2048, vocab=51865,
                  max_source=1500, max_target=448), "whisper_base", std=0.02, embed_std=0.02)
    rng = g.rng_for("whisper_base")
    features = g.rand_floats(rng, (1, 80, 3000))
    ids = g.rand_ids(rng, (1, 4), 51865)
    return g.ModelSpec(model, [(features, ids)], ["input_features", "decoder_input_ids"],
                       ["logits"], {})


BUILDERS = {"gpt2_small": gpt2_small, "bert_base": bert_base, "llama_2l": llama_2l}
# Models at their one real size, exported once under their own name.
FIXED_SIZE = {"vit_base": vit_base, "whisper_base": whisper_base}


def tile_weights(module, period):
    """Every parameter's values repeat its first `period` ones (in memory
    order); parameters no longer than that keep theirs."""
    with torch.no_grad():
        for p in module.parameters():
            flat = p.view(-1)
            if flat.numel() > period:
                repeats = -(-flat.numel() // period)
                flat.copy_(flat[:period].clone().repeat(repeats)[:flat.numel()])
    return module


def tiled(spec, period):
    """`spec` with its weights tiled with `period`, if given."""
    if period:
        tile_weights(spec.module, period)
    return spec


def builder(name, seq, period=None):
    """The spec of model `name` at sequence length `seq`, its weights tiled
    with `period` if given."""
    return tiled(BUILDERS[name](seq), period)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--only", nargs="+", choices=sorted(BUILDERS) + sorted(FIXED_SIZE),
                    default=sorted(BUILDERS) + sorted(FIXED_SIZE))
    ap.add_argument("--seq", nargs="+", type=int, default=[128, 1024])
    ap.add_argument("--tiled-weights", type=int, metavar="PERIOD",
                    help="each parameter repeats its first PERIOD values (compressible)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out_dir, exist_ok=True)
    for name in args.only:
        if name in FIXED_SIZE:
            key = f"{name}_tiled" if args.tiled_weights else name
            export(key, lambda name=name: tiled(FIXED_SIZE[name](), args.tiled_weights),
                   args.out_dir)
            continue
        for seq in args.seq:
            key = f"{name}_tiled_{seq}" if args.tiled_weights else f"{name}_{seq}"
            export(key, lambda name=name, seq=seq: builder(name, seq, args.tiled_weights),
                   args.out_dir)


def export(key, build, out_dir):
    """Exports the spec `build` makes as test directory OUT_DIR/key, unless
    it is already there."""
    if (pathlib.Path(out_dir) / key / "test_data_set_0" / "output_0.pb").exists():
        print(f"[{key}] exists, kept", flush=True)
        return
    g.REGISTRY[key] = build
    g.generate_one(key, out_dir)


if __name__ == "__main__":
    main()
