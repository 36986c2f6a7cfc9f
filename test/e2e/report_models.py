#!/usr/bin/env python3
"""Checks `attnc report --json` on every generated model against the mask a
person reading the model would name (test/models/README.md).

  report_models.py ATTNC MODELS_DIR
Prints one line per model, `OK name` or `MISMATCH name: ...`, and exits
non-zero on any mismatch.
"""
import json
import pathlib
import subprocess
import sys

import onnx

INF = "inf"
CAUSAL = {"left": INF, "right": 0}
# name -> (sites, fused, window, key_mask, dense_mask, offset, q_heads, kv_heads)
EXPECTED = {
    "gpt2": (2, 2, CAUSAL, False, False, None, 4, 4),
    "gpt2_long": (2, 2, CAUSAL, False, False, None, 4, 4),  # 200 tokens, 512-slot buffer
    "gpt2_kv_cache": (2, 2, None, False, False, None, 4, 4),  # one query sees every key
    "bert": (2, 2, None, True, False, None, None, None),      # padding from a graph input
    "llama": (2, 2, CAUSAL, False, False, None, 4, 2),
    "mistral": (2, 2, {"left": 3, "right": 0}, False, False, None, None, None),
    "vit": (2, 2, None, False, False, None, None, None),
    # encoder self x2 (padding), decoder causal + padding self x2, cross x2
    # (encoder padding): masks added on [B, H, T, S] views of 3-D scores
    "bart": (6, 6, [None, None, None, None, CAUSAL, CAUSAL], True, False, None, 4, 4),
    # NeMo's limited context (4 left, 2 right) AND padding, masked with -1e4
    # before the softmax and zeroed after it: the key padding becomes the key
    # mask, the query padding (padded rows see nothing) stays dense
    "conformer": (2, 2, {"left": 4, "right": 2}, True, True, None, 4, 4),
    # key padding repeated per head by torch's MHA: unfolded to 4 real heads
    "torch_encoder_layer": (2, 2, CAUSAL, True, False, None, 4, 4),
    "torch_mha": (1, 1, None, False, False, None, 4, 4),  # [S, B·H, D] unfolded
    # encoder self-attention x2, decoder causal self-attention x2, cross x2
    "whisper": (6, 6, [None, None, None, None, CAUSAL, CAUSAL], False, False, None, None, None),
    "attn_prescaled_q": (1, 1, None, False, False, None, None, None),
    "attn_pretransposed_k": (1, 1, None, False, False, None, None, None),
    "attn_heads_folded_3d": (1, 1, CAUSAL, False, False, None, 4, 4),  # [B·H, S, D] unfolded
    "attn_baddbmm": (1, 1, CAUSAL, False, False, None, None, None),
    "attn_manual_softmax": (2, 2, CAUSAL, False, False, None, None, None),
    "attn_log_mask": (1, 1, CAUSAL, False, False, None, None, None),
    "attn_mqa_broadcast": (1, 1, CAUSAL, False, False, None, 4, 1),
    "attn_gqa_tile": (2, 2, CAUSAL, False, False, None, None, None),
    "attn_local_window": (1, 1, {"left": 3, "right": 1}, False, False, None, None, None),
    "attn_chunked_prefill": (1, 1, CAUSAL, False, False, 5, None, None),
    "attn_causal_plus_padding": (1, 1, CAUSAL, True, False, None, None, None),
    "attn_near_miss_band": (1, 1, None, False, True, None, None, None),
    "attn_near_miss_entry": (1, 1, None, False, True, None, None, None),
    "attn_alibi_bias": (1, 1, None, False, True, None, None, None),
    "attn_probs_output": (1, 0, None, False, False, None, None, None),
    "attn_expanded_padding": (1, 1, None, True, False, None, None, None),  # expanded, all-padding row
    "attn_distilbert": (1, 1, None, True, False, None, 2, 2),  # (mask == 0) expanded, masked_fill
    # causal + padding clamped at finfo.min: the clamp makes left-padded rows
    # average over every key (future ones too), which a window would change;
    # exact only as a dense mask
    "attn_opt": (1, 1, None, False, True, None, 2, 2),
    "attn_gpt_neox": (1, 1, CAUSAL, True, False, None, 2, 2),  # where(tril) + padding, partial rotary
    "attn_global_tokens": (1, 1, None, False, True, None, 2, 2),  # window OR global: not a band
    # relative-position bias (dense, per head) plus padding (the key mask)
    "attn_t5_relative_bias": (1, 1, None, True, True, None, 2, 2),
}


def shapes(model_dir):
    args = []
    for pb in sorted((model_dir / "test_data_set_0").glob("input_*.pb")):
        t = onnx.load_tensor(str(pb))
        args.append(f"--input-shape={t.name}={'x'.join(map(str, t.dims)) or '1'}")
    return args


def main():
    attnc, models = sys.argv[1], pathlib.Path(sys.argv[2])
    bad = 0
    for name, (sites, fused, window, key_mask, dense, offset, hq, hkv) in EXPECTED.items():
        d = models / name
        if not d.exists():
            continue
        out = subprocess.run([attnc, "report", str(d / "model.onnx"), "--json", *shapes(d)],
                             capture_output=True, text=True)
        if out.returncode:
            print(f"MISMATCH {name}: attnc report failed: {out.stderr.strip()}")
            bad += 1
            continue
        report = json.loads(out.stdout)
        problems = []
        summary = report["summary"]
        if isinstance(window, list):
            got = sorted((json.dumps(x["window"]) for x in report["sites"]))
            if got != sorted(json.dumps(w) for w in window):
                problems.append(f"windows {got}, want {window}")
            window = None if not report["sites"] else None
        if (summary["sites"], summary["fused"]) != (sites, fused):
            problems.append(f"sites/fused {summary['sites']}/{summary['fused']}, want {sites}/{fused}")
        per_site_window = isinstance(EXPECTED[name][2], list)
        for site in report["sites"]:
            if not site["fused"]:
                continue
            if per_site_window:
                window = site["window"]
            got = (site["window"], site["key_mask"], site["dense_mask"], site["offset"])
            if got != (window, key_mask, dense, offset):
                problems.append(f"mask {got}, want {(window, key_mask, dense, offset)}")
            if hq is not None and (site["q_heads"], site["kv_heads"]) != (hq, hkv):
                problems.append(f"heads {site['q_heads']}/{site['kv_heads']}, want {hq}/{hkv}")
        print(("MISMATCH " if problems else "OK ") + name + (": " + "; ".join(sorted(set(problems))) if problems else ""))
        bad += bool(problems)
    print(f"{bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
