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


class Heads(torch.nn.Module):
    """Reads its input's shape (Shape -> Reshape): not yet run-time."""

    def forward(self, x):
        return x.reshape(x.shape[0], x.shape[1], 2, 32) * 2


torch.onnx.export(Heads(), (torch.randn(2, 7, 64),), f"{out}/../reshape.onnx", input_names=["x"],
                  output_names=["y"], dynamic_axes={"x": axes, "y": axes}, opset_version=14)
