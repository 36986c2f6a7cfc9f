"""The token ids `attnc generate` must print, from torch: a loop over a
repository model (test/models/generate.py) that re-runs the whole sequence
each step and chooses each token from the last position's logits, greedily
or with attnc's sampler re-written here (splitmix64-seeded xoshiro256**,
softmax of logits / T over the top k in double precision)."""
import argparse, importlib.util, math, os, sys
import torch

MASK = (1 << 64) - 1


class Sampler:
    def __init__(self, seed):
        self.state = []
        x = seed
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            self.state.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.state
        result = (self.rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def choose(self, logits, temperature, top_k):
        logits = [float(v) for v in logits]
        if temperature == 0 or top_k == 1:
            return max(range(len(logits)), key=lambda i: (logits[i], -i))
        order = sorted(range(len(logits)), key=lambda i: (-logits[i], i))
        k = len(logits) if top_k == 0 else min(top_k, len(logits))
        top = logits[order[0]]
        weights = [math.exp((logits[order[i]] - top) / temperature) for i in range(k)]
        target = self.uniform() * sum(weights)
        for i in range(k):
            target -= weights[i]
            if target < 0:
                return order[i]
        return order[k - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models_py")
    ap.add_argument("model")
    ap.add_argument("--prompt-ids", required=True)
    ap.add_argument("--max-new-tokens", type=int, required=True)
    ap.add_argument("--temperature", type=float, default=0.0)
    ap.add_argument("--top-k", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("models", args.models_py)
    models = importlib.util.module_from_spec(spec)
    sys.modules["models"] = models
    spec.loader.exec_module(models)
    torch.set_num_threads(1)
    module = models.REGISTRY[args.model]().module.eval()
    ids = [int(t) for t in args.prompt_ids.split(",")]
    sampler = Sampler(args.seed)
    new = []
    with torch.no_grad():
        for _ in range(args.max_new_tokens):
            logits = module(torch.tensor([ids], dtype=torch.int64))
            if isinstance(logits, (tuple, list)):
                logits = logits[0]
            token = sampler.choose(logits[0, -1].tolist(), args.temperature, args.top_k)
            new.append(token)
            ids.append(token)
    print(" ".join(str(t) for t in new))


main()
