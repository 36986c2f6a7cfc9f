"""Model.generate against `attnc generate`'s token ids (files), then errors."""
import sys

import attnc

model = attnc.load(sys.argv[1])
greedy = [int(t) for t in open(sys.argv[2]).read().split()]
sampled = [int(t) for t in open(sys.argv[3]).read().split()]
if model.generate([5, 17, 42], 16) == greedy:
    print("greedy matches attnc generate")
if model.generate([5, 17, 42], 16, temperature=0.7, top_k=4, seed=3) == sampled:
    print("sampled matches attnc generate")
for prompt in ([], [1] * 30):
    try:
        model.generate(prompt, 4)
    except attnc.Error as error:
        print("error:", error)
