"""Writes an ONNX test directory whose input dims stay symbolic (batch and
seq): an MLP block with a residual LayerNorm, a gate input sharing both
dims, a softmax, a product contracting over seq, and a mean over seq. Four
data sets of different shapes, torch's outputs as references."""
import os, sys
import numpy as np
import torch

out = sys.argv[1]
torch.manual_seed(0)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.up = torch.nn.Linear(64, 256)
        self.down = torch.nn.Linear(256, 64)
        self.norm = torch.nn.LayerNorm(64)

    def forward(self, x, g):
        h = self.down(torch.nn.functional.gelu(self.up(x)))
        y = self.norm(x + h) * torch.sigmoid(g)
        p = torch.softmax(x, -1) * 2.0
        gram = x.transpose(1, 2) @ y           # [batch, 64, 64], sums over seq
        return y, p, gram, x.mean(1)


model = Block().eval()
os.makedirs(out, exist_ok=True)
axes = {0: "batch", 1: "seq"}
torch.onnx.export(model, (torch.randn(2, 7, 64), torch.randn(2, 7, 1)), f"{out}/model.onnx",
                  input_names=["x", "g"], output_names=["y", "p", "gram", "mean"],
                  dynamic_axes={"x": axes, "g": axes, "y": axes, "p": axes,
                                "gram": {0: "batch"}, "mean": {0: "batch"}},
                  opset_version=14)

from onnx import numpy_helper
rng = np.random.default_rng(0)


def write_data_sets(directory, shapes):
    for i, (batch, seq) in enumerate(shapes):
        d = f"{directory}/test_data_set_{i}"
        os.makedirs(d, exist_ok=True)
        x = rng.standard_normal((batch, seq, 64)).astype(np.float32)
        g = rng.standard_normal((batch, seq, 1)).astype(np.float32)
        with torch.no_grad():
            results = model(torch.from_numpy(x), torch.from_numpy(g))
        for k, (name, value) in enumerate((("x", x), ("g", g))):
            open(f"{d}/input_{k}.pb", "wb").write(
                numpy_helper.from_array(value, name).SerializeToString())
        for k, (name, value) in enumerate(zip(("y", "p", "gram", "mean"), results)):
            open(f"{d}/output_{k}.pb", "wb").write(
                numpy_helper.from_array(value.numpy(), name).SerializeToString())
        # The same tensors as .npy files for the executable.
        np.save(f"{d}/x.npy", x)
        np.save(f"{d}/g.npy", g)


write_data_sets(out, [(2, 7), (3, 5), (1, 1), (4, 33)])
# Batch 1, seq at run time: the projections run the packed kernel with a
# run-time row count (tails of every height).
os.makedirs(f"{out}/seq", exist_ok=True)
import shutil
shutil.copy(f"{out}/model.onnx", f"{out}/seq/model.onnx")
write_data_sets(f"{out}/seq", [(1, 1), (1, 13), (1, 40), (1, 64)])


class Repeat(torch.nn.Module):
    """Tile: not yet run-time."""

    def forward(self, x):
        return x.repeat(1, 1, 2) * 2


torch.onnx.export(Repeat(), (torch.randn(2, 7, 64),), f"{out}/../repeat.onnx", input_names=["x"],
                  output_names=["y"], dynamic_axes={"x": axes, "y": axes}, opset_version=14)


class Attention(torch.nn.Module):
    """Head reshapes computed from the input's shape (Shape -> Gather ->
    Concat -> Reshape), which shape arithmetic on run-time dims follows."""

    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(64, 192)
        self.out = torch.nn.Linear(64, 64)

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = (t.reshape(b, n, 4, 16).transpose(1, 2) for t in self.qkv(x).split(64, -1))
        a = torch.softmax(q @ k.transpose(-1, -2) / 4.0, -1) @ v
        return self.out(a.transpose(1, 2).reshape(b, n, 64)) + x


attention = Attention().eval()
heads = f"{out}/../heads"
os.makedirs(heads, exist_ok=True)
torch.onnx.export(attention, (torch.randn(1, 7, 64),), f"{heads}/model.onnx", input_names=["x"],
                  output_names=["y"], dynamic_axes={"x": axes, "y": axes}, opset_version=14)
for i, seq in enumerate([1, 13, 40]):
    d = f"{heads}/test_data_set_{i}"
    os.makedirs(d, exist_ok=True)
    x = rng.standard_normal((1, seq, 64)).astype(np.float32)
    with torch.no_grad():
        y = attention(torch.from_numpy(x))
    open(f"{d}/input_0.pb", "wb").write(numpy_helper.from_array(x, "x").SerializeToString())
    open(f"{d}/output_0.pb", "wb").write(numpy_helper.from_array(y.numpy(), "y").SerializeToString())
