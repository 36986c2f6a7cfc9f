"""Writes hostile ONNX models (issue: never a crash, never a read outside
the model's folder, never a huge allocation from a tiny file) into OUT/,
one per case, each in its own folder OUT/<case>/model.onnx."""
import os
import sys

import onnx
from onnx import helper, TensorProto

out = sys.argv[1]


def graph_with(initializer, name="w"):
    """y = x + w, with w the given initializer."""
    node = helper.make_node("Add", ["x", name], ["y"])
    return helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [initializer])


def save(case, graph, opset=17):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    folder = os.path.join(out, case)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    return folder


def external(location, offset=None, length=None):
    t = TensorProto()
    t.name = "w"
    t.data_type = TensorProto.FLOAT
    t.dims.append(4)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = t.external_data.add()
            entry.key, entry.value = key, str(value)
    return t


def raw(dims, data):
    t = TensorProto()
    t.name = "w"
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.raw_data = data
    return t


os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "outside.bin"), "wb") as f:
    f.write(b"\0" * 16)

# External data that leaves the model's folder.
save("ext_parent", graph_with(external("../outside.bin")))
save("ext_absolute", graph_with(external(os.path.abspath(os.path.join(out, "outside.bin")))))
folder = save("ext_symlink", graph_with(external("link.bin")))
os.symlink(os.path.abspath(os.path.join(out, "outside.bin")), os.path.join(folder, "link.bin"))
# External data past the end of its file.
folder = save("ext_offset_past_end", graph_with(external("w.bin", offset=64, length=16)))
open(os.path.join(folder, "w.bin"), "wb").write(b"\0" * 16)
folder = save("ext_length_past_end", graph_with(external("w.bin", offset=8, length=16)))
open(os.path.join(folder, "w.bin"), "wb").write(b"\0" * 16)
# Dims that are negative, whose product overflows, or that declare far
# more data than the file holds.
save("negative_dim", graph_with(raw([-1, 4], b"")))
save("overflowing_dims", graph_with(raw([1 << 40, 1 << 40], b"")))
save("huge_declared", graph_with(raw([1 << 30, 4], b"\0" * 16)))
save("size_mismatch", graph_with(raw([4], b"\0" * 12)))
# A graph input with a negative declared dim.
neg = helper.make_graph(
    [helper.make_node("Relu", ["x"], ["y"])], "g",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [-3, 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [-3, 4])])
save("negative_input_dim", neg)
# A cycle, and two nodes writing one name.
cycle = helper.make_graph(
    [helper.make_node("Add", ["x", "b"], ["a"]), helper.make_node("Relu", ["a"], ["b"])], "g",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
    [helper.make_tensor_value_info("b", TensorProto.FLOAT, [4])])
save("cycle", cycle)
twice = helper.make_graph(
    [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["y"])], "g",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
save("name_written_twice", twice)
# A recursion bomb: If nodes nested 150 deep (past protobuf's limit of 100).
leaf = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "leaf", [],
                         [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
inner = leaf
for depth in range(150):
    node = helper.make_node("If", ["c"], ["y"], then_branch=inner, else_branch=leaf)
    inner = helper.make_graph([node], f"level{depth}", [],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
bomb = helper.make_graph(inner.node, "g",
                         [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4]),
                          helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
                         [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
save("nesting_bomb", bomb)
# A graph input that is also an initializer (an overridable default) but
# is declared with another element type or shape than its data; an
# initializer listed twice; a node output that shadows an initializer.
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
add = helper.make_node("Add", ["x", "w"], ["y"])
save("input_type_disagrees", helper.make_graph(
    [add], "g", [x, helper.make_tensor_value_info("w", TensorProto.INT64, [4])], [y],
    [raw([4], b"\0" * 16)]))
save("input_shape_disagrees", helper.make_graph(
    [add], "g", [x, helper.make_tensor_value_info("w", TensorProto.FLOAT, [5])], [y],
    [raw([4], b"\0" * 16)]))
save("initializer_twice", helper.make_graph([add], "g", [x], [y],
                                            [raw([4], b"\0" * 16), raw([4], b"\0" * 16)]))
save("output_shadows_initializer", helper.make_graph(
    [helper.make_node("Relu", ["x"], ["w"]), add], "g", [x], [y], [raw([4], b"\0" * 16)]))
# A chain of 100000 nodes (2 MB): every stage must walk it without
# recursing per node (the stack would overflow) and in linear time. A file,
# not a case folder: it compiles.
chain = [helper.make_node("Neg", [f"t{i}" if i else "x"], [f"t{i + 1}" if i + 1 < 100000 else "y"])
         for i in range(100000)]
model = helper.make_model(helper.make_graph(chain, "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
with open(os.path.join(out, "many_nodes.onnx"), "wb") as f:
    f.write(model.SerializeToString())
