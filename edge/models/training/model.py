"""The small CNN both return-photo models share, in JAX, and its export to ONNX op by op.

Features: Conv 5x5/2 -> MaxPool -> Conv 3x3 -> MaxPool -> Conv 3x3 -> MaxPool -> Conv 3x3, ReLU
after each, leaving a [C, 12, 16] map (one cell per 16x16 input pixels). Channels per task
(WIDTHS): the screen model 16, 24, 32, 48; the damage model 16, 32, 48, 96 — telling a scratch
from a dent or a crack takes more features where the marks' shapes are seen than telling a photo
of a screen from a photo of a car.

Damage head (localising): a 1x1 conv turns the map into one logit per damage class and cell;
a class's photo score is its hottest cell (global max), "any damage" the hottest class, and the
location output the hottest class per cell of a 6 x 8 grid (MaxPool 2x2). Trained on photo
labels and on the cells each drawn mark covers, so a score always has a place behind it.
Screen head: global max || global average pool (96) -> Dense 32 -> Dense 1.
"""

from __future__ import annotations

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from dataset import DAMAGE_CLASSES, GRID_COLS, GRID_ROWS, HEIGHT, WIDTH

# (kernel, stride, max-pool after) for each conv layer; its output channels per task in WIDTHS.
CONVS = ((5, 2, True), (3, 1, True), (3, 1, True), (3, 1, False))
WIDTHS = {"damage": (16, 32, 48, 96), "screen": (16, 24, 32, 48)}
HIDDEN = 32


def init_params(key: jax.Array, task: str) -> dict:
    params: dict = {"conv": []}
    channels = 3
    for out, (k, _, _) in zip(WIDTHS[task], CONVS):
        key, sub = jax.random.split(key)
        fan_in = channels * k * k
        params["conv"].append((jax.random.normal(sub, (out, channels, k, k)) * math.sqrt(2 / fan_in), jnp.zeros(out)))
        channels = out
    if task == "damage":
        key, sub = jax.random.split(key)
        # Damage is rare per cell: start every cell at "probably not" (sigmoid(-3) ~ 0.05).
        params["classes"] = (jax.random.normal(sub, (len(DAMAGE_CLASSES), channels, 1, 1)) * math.sqrt(1 / channels),
                             jnp.full(len(DAMAGE_CLASSES), -3.0))
        return params
    params["dense"] = []
    for fan_in, fan_out in ((2 * channels, HIDDEN), (HIDDEN, 1)):
        key, sub = jax.random.split(key)
        params["dense"].append((jax.random.normal(sub, (fan_out, fan_in)) * math.sqrt(2 / fan_in), jnp.zeros(fan_out)))
    return params


def max_pool(h: jax.Array) -> jax.Array:
    return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


def conv(h: jax.Array, w: jax.Array, b: jax.Array, stride: int) -> jax.Array:
    pad = w.shape[-1] // 2
    h = jax.lax.conv_general_dilated(h, w, (stride, stride), [(pad, pad), (pad, pad)], dimension_numbers=("NCHW", "OIHW", "NCHW"))
    return h + b[None, :, None, None]


def forward(params: dict, x: jax.Array) -> tuple[jax.Array, jax.Array | None]:
    """Damage: (logits [N, 4] = any, scratch, dent, crack; per-class location logits
    [N, 3, GRID_ROWS, GRID_COLS]). Screen: (logits [N, 1], None).

    Every op here has a one-to-one ONNX node in `export_onnx`."""
    h = x - 0.5
    for (w, b), (_, stride, pool) in zip(params["conv"], CONVS):
        h = jax.nn.relu(conv(h, w, b, stride))
        if pool:
            h = max_pool(h)
    if "classes" in params:
        cells = conv(h, *params["classes"], 1)
        classes = cells.max(axis=(2, 3))
        return jnp.concatenate([classes.max(axis=1, keepdims=True), classes], axis=1), max_pool(cells)
    g = jnp.concatenate([h.max(axis=(2, 3)), h.mean(axis=(2, 3))], axis=1)
    (w1, b1), (w2, b2) = params["dense"]
    g = jax.nn.relu(g @ w1.T + b1)
    return g @ w2.T + b2, None


def params_from_onnx(path: Path) -> dict:
    """The weights of a model this module exported (same layers), to train on from there."""
    weights = {init.name: jnp.asarray(numpy_helper.to_array(init)) for init in onnx.load(path).graph.initializer}
    params: dict = {"conv": [(weights[f"conv{i}_w"], weights[f"conv{i}_b"]) for i in range(len(CONVS))]}
    if "classes_w" in weights:
        params["classes"] = (weights["classes_w"], weights["classes_b"])
    else:
        params["dense"] = [(weights["fc1_w"], weights["fc1_b"]), (weights["fc2_w"], weights["fc2_b"])]
    return params


def widen(params: dict, widths: tuple[int, ...], key: jax.Array) -> dict:
    """A damage model with more channels per layer that computes exactly what `params` computes.

    Each layer keeps its trained filters; the added filters start random (He, as init_params) and
    every weight reading an added channel starts at zero, so the added features do not change the
    output until training gives them a use. Continuing a trained model this way keeps what it
    learnt and adds capacity, at a fraction of the epochs a wider model needs from scratch."""
    convs, before = [], 3
    for (w, b), out in zip(params["conv"], widths):
        old_out, old_in, k, _ = w.shape
        if out < old_out:
            raise ValueError(f"cannot narrow a layer from {old_out} to {out} channels")
        key, sub = jax.random.split(key)
        wide = jax.random.normal(sub, (out, before, k, k)) * math.sqrt(2 / (before * k * k))
        wide = wide.at[:old_out].set(0.0).at[:old_out, :old_in].set(w)
        convs.append((wide, jnp.zeros(out).at[:old_out].set(b)))
        before = out
    cw, cb = params["classes"]
    classes = jnp.zeros((cw.shape[0], before, 1, 1)).at[:, :cw.shape[1]].set(cw)
    return {"conv": convs, "classes": (classes, cb)}


def parameter_count(params: dict) -> int:
    return int(sum(np.prod(p.shape) for p in jax.tree_util.tree_leaves(params)))


def export_onnx(params: dict, path: Path, doc: str) -> None:
    """Damage: `damage_probability` [N, 1], `damage_class_scores` [N, 3], `damage_location`
    [N, GRID_ROWS, GRID_COLS]. Screen: `screen_probability` [N, 1]."""
    nodes, inits = [], []

    def const(name: str, value, dtype=np.float32) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    h = node("Sub", ["image", const("input_offset", np.array(0.5))], "h0")
    for i, ((w, b), (k, stride, pool)) in enumerate(zip(params["conv"], CONVS)):
        pad = k // 2
        h = node("Conv", [h, const(f"conv{i}_w", w), const(f"conv{i}_b", b)], f"conv{i}",
                 kernel_shape=[k, k], strides=[stride, stride], pads=[pad, pad, pad, pad])
        h = node("Relu", [h], f"relu{i}")
        if pool:
            h = node("MaxPool", [h], f"pool{i}", kernel_shape=[2, 2], strides=[2, 2])
    if "classes" in params:
        cw, cb = params["classes"]
        cells = node("Conv", [h, const("classes_w", cw), const("classes_b", cb)], "class_cells", kernel_shape=[1, 1])
        classes = node("Flatten", [node("GlobalMaxPool", [cells], "class_max")], "class_logits", axis=1)
        node("Sigmoid", [classes], "damage_class_scores")
        node("Sigmoid", [node("ReduceMax", [classes], "damage_logit", axes=[1], keepdims=1)], "damage_probability")
        pooled = node("MaxPool", [cells], "class_cells_pooled", kernel_shape=[2, 2], strides=[2, 2])
        node("Sigmoid", [node("ReduceMax", [pooled], "location_logits", axes=[1], keepdims=0)], "damage_location")
        outputs = [helper.make_tensor_value_info("damage_probability", TensorProto.FLOAT, ["batch", 1]),
                   helper.make_tensor_value_info("damage_class_scores", TensorProto.FLOAT, ["batch", len(DAMAGE_CLASSES)]),
                   helper.make_tensor_value_info("damage_location", TensorProto.FLOAT, ["batch", GRID_ROWS, GRID_COLS])]
    else:
        g = node("Concat", [node("GlobalMaxPool", [h], "gmax"), node("GlobalAveragePool", [h], "gavg")], "gcat", axis=1)
        g = node("Flatten", [g], "features", axis=1)
        (w1, b1), (w2, b2) = params["dense"]
        g = node("Relu", [node("Gemm", [g, const("fc1_w", w1), const("fc1_b", b1)], "fc1", transB=1)], "fc1_relu")
        g = node("Gemm", [g, const("fc2_w", w2), const("fc2_b", b2)], "logits", transB=1)
        node("Sigmoid", [g], "screen_probability")
        outputs = [helper.make_tensor_value_info("screen_probability", TensorProto.FLOAT, ["batch", 1])]
    graph = helper.make_graph(
        nodes, path.stem,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, HEIGHT, WIDTH])],
        outputs, inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="fleetwire-train")
    model.ir_version = 8
    model.doc_string = doc
    onnx.checker.check_model(model)
    onnx.save(model, path)
