"""Train fleetwire's return-photo models (damage, screen) and export them to ONNX.

Offline only: the edge runs the exported .onnx files with onnxruntime-node. Both models are the
same small CNN (different output heads), trained with JAX on CPU and written to ONNX by hand
from its weights, then checked against onnxruntime on the validation set.

Input contract (both models): `image`, float32 [N, 3, 192, 256], RGB, value / 255 (0..1),
after EXIF auto-orientation and a resize to 256x192 (fit 'fill').
Outputs: damage-v1.onnx -> `damage_probability` [N, 1] and `damage_class_scores` [N, 3]
(scratch, dent, crack; independent sigmoids); screen-v1.onnx -> `screen_probability` [N, 1].

Usage: python train.py --train DIR --val DIR --test DIR --out ../  (see README.md)
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from PIL import Image, ImageOps

HEIGHT, WIDTH = 192, 256
DAMAGE_CLASSES = ("scratch", "dent", "crack")
# (out channels, kernel, stride, max-pool after) for each conv layer.
CONVS = ((8, 5, 2, True), (16, 3, 1, True), (32, 3, 1, True), (32, 3, 1, False))
HIDDEN = 32


def load_set(folder: Path) -> tuple[np.ndarray, list[dict]]:
    labels = [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines() if line]
    images = np.empty((len(labels), 3, HEIGHT, WIDTH), dtype=np.uint8)
    for i, row in enumerate(labels):
        with Image.open(folder / row["file"]) as im:
            # Same steps as edge/src/vision/preprocess.ts: EXIF orientation, RGB, 256x192 fill.
            im = ImageOps.exif_transpose(im).convert("RGB")
            if im.size != (WIDTH, HEIGHT):
                im = im.resize((WIDTH, HEIGHT), Image.BILINEAR)
            images[i] = np.asarray(im).transpose(2, 0, 1)
    return images, labels


def targets(labels: list[dict], task: str) -> np.ndarray:
    if task == "screen":
        return np.array([[float(r["screen"])] for r in labels], dtype=np.float32)
    return np.array(
        [[float(r["damaged"])] + [float(r["damage"][k] > 0) for k in DAMAGE_CLASSES] for r in labels],
        dtype=np.float32,
    )


def init_params(key: jax.Array, outputs: int) -> dict:
    params: dict = {"conv": [], "dense": []}
    channels = 3
    for out, k, _, _ in CONVS:
        key, sub = jax.random.split(key)
        fan_in = channels * k * k
        params["conv"].append((jax.random.normal(sub, (out, channels, k, k)) * math.sqrt(2 / fan_in), jnp.zeros(out)))
        channels = out
    for fan_in, fan_out in ((2 * channels, HIDDEN), (HIDDEN, outputs)):
        key, sub = jax.random.split(key)
        params["dense"].append((jax.random.normal(sub, (fan_out, fan_in)) * math.sqrt(2 / fan_in), jnp.zeros(fan_out)))
    return params


def forward(params: dict, x: jax.Array) -> jax.Array:
    """Logits. Every op here has a one-to-one ONNX node in `export_onnx`."""
    h = x - 0.5
    for (w, b), (_, k, stride, pool) in zip(params["conv"], CONVS):
        pad = k // 2
        h = jax.lax.conv_general_dilated(h, w, (stride, stride), [(pad, pad), (pad, pad)],
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
        h = jax.nn.relu(h + b[None, :, None, None])
        if pool:
            h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    h = jnp.concatenate([h.max(axis=(2, 3)), h.mean(axis=(2, 3))], axis=1)
    (w1, b1), (w2, b2) = params["dense"]
    h = jax.nn.relu(h @ w1.T + b1)
    return h @ w2.T + b2


def loss_fn(params: dict, x: jax.Array, y: jax.Array) -> jax.Array:
    logits = forward(params, x)
    return jnp.mean(jnp.maximum(logits, 0) - logits * y + jnp.log1p(jnp.exp(-jnp.abs(logits))))


def train(images: np.ndarray, y: np.ndarray, outputs: int, epochs: int, seed: int) -> dict:
    key = jax.random.PRNGKey(seed)
    params = init_params(key, outputs)
    moments = jax.tree_util.tree_map(lambda p: (jnp.zeros_like(p), jnp.zeros_like(p)), params)
    batch = 32
    steps_per_epoch = len(images) // batch
    total = epochs * steps_per_epoch

    @jax.jit
    def step(params, moments, x, y, t):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        lr = 2e-3 * 0.5 * (1 + jnp.cos(jnp.pi * t / total))
        b1, b2 = 0.9, 0.999

        def update(p, g, m):
            mu, nu = m
            mu = b1 * mu + (1 - b1) * g
            nu = b2 * nu + (1 - b2) * g * g
            mhat = mu / (1 - b1 ** (t + 1))
            vhat = nu / (1 - b2 ** (t + 1))
            return p - lr * mhat / (jnp.sqrt(vhat) + 1e-8), (mu, nu)

        flat_p, tree = jax.tree_util.tree_flatten(params)
        flat_g = tree.flatten_up_to(grads)
        flat_m = tree.flatten_up_to(moments)
        new = [update(p, g, m) for p, g, m in zip(flat_p, flat_g, flat_m)]
        return tree.unflatten([n[0] for n in new]), tree.unflatten([n[1] for n in new]), loss

    rng = np.random.default_rng(seed)
    t = 0
    for epoch in range(epochs):
        order = rng.permutation(len(images))
        started, losses = time.time(), []
        for s in range(steps_per_epoch):
            idx = order[s * batch:(s + 1) * batch]
            x = images[idx].astype(np.float32) / 255.0
            flip = rng.random(len(idx)) < 0.5
            x[flip] = x[flip, :, :, ::-1]
            params, moments, loss = step(params, moments, jnp.asarray(x), jnp.asarray(y[idx]), t)
            losses.append(float(loss))
            t += 1
        print(f"  epoch {epoch + 1}/{epochs} loss {np.mean(losses):.4f} ({time.time() - started:.0f}s)", flush=True)
    return params


def export_onnx(params: dict, output_names: list[tuple[str, int]], path: Path, doc: str) -> None:
    nodes, inits = [], []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    nodes.append(helper.make_node("Sub", ["image", const("input_offset", np.array(0.5))], ["h0"]))
    h = "h0"
    for i, ((w, b), (_, k, stride, pool)) in enumerate(zip(params["conv"], CONVS)):
        pad = k // 2
        nodes.append(helper.make_node("Conv", [h, const(f"conv{i}_w", w), const(f"conv{i}_b", b)], [f"conv{i}"],
                                      kernel_shape=[k, k], strides=[stride, stride], pads=[pad, pad, pad, pad]))
        nodes.append(helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"]))
        h = f"relu{i}"
        if pool:
            nodes.append(helper.make_node("MaxPool", [h], [f"pool{i}"], kernel_shape=[2, 2], strides=[2, 2]))
            h = f"pool{i}"
    nodes.append(helper.make_node("GlobalMaxPool", [h], ["gmax"]))
    nodes.append(helper.make_node("GlobalAveragePool", [h], ["gavg"]))
    nodes.append(helper.make_node("Concat", ["gmax", "gavg"], ["gcat"], axis=1))
    nodes.append(helper.make_node("Flatten", ["gcat"], ["features"], axis=1))
    (w1, b1), (w2, b2) = params["dense"]
    nodes.append(helper.make_node("Gemm", ["features", const("fc1_w", w1), const("fc1_b", b1)], ["fc1"], transB=1))
    nodes.append(helper.make_node("Relu", ["fc1"], ["fc1_relu"]))
    nodes.append(helper.make_node("Gemm", ["fc1_relu", const("fc2_w", w2), const("fc2_b", b2)], ["logits"], transB=1))
    nodes.append(helper.make_node("Sigmoid", ["logits"], ["probabilities"]))
    outputs, start = [], 0
    for name, width in output_names:
        nodes.append(helper.make_node("Slice", ["probabilities", const_i64(inits, f"{name}_start", start),
                                                const_i64(inits, f"{name}_end", start + width),
                                                const_i64(inits, f"{name}_axis", 1)], [name]))
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", width]))
        start += width
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


def const_i64(inits: list, name: str, value: int) -> str:
    inits.append(numpy_helper.from_array(np.array([value], dtype=np.int64), name))
    return name


def predict(session: ort.InferenceSession, images: np.ndarray, output: str) -> np.ndarray:
    out = []
    for s in range(0, len(images), 64):
        x = images[s:s + 64].astype(np.float32) / 255.0
        out.append(session.run([output], {"image": x})[0])
    return np.concatenate(out)


def metrics(p: np.ndarray, y: np.ndarray, threshold: float) -> dict:
    pred = p >= threshold
    truth = y >= 0.5
    tp = int(np.sum(pred & truth))
    fp = int(np.sum(pred & ~truth))
    fn = int(np.sum(~pred & truth))
    return {
        "accuracy": round(float(np.mean(pred == truth)), 4),
        "precision": round(tp / max(1, tp + fp), 4),
        "recall": round(tp / max(1, tp + fn), 4),
        "count": int(len(y)),
        "positives": int(np.sum(truth)),
    }


def pick_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The threshold with the best balanced accuracy on the validation set, rounded to 0.05."""
    best, best_score = 0.5, -1.0
    for t in np.arange(0.1, 0.91, 0.05):
        pred, truth = p >= t, y >= 0.5
        score = (np.mean(pred[truth]) + np.mean(~pred[~truth])) / 2
        if score > best_score + 1e-9:
            best, best_score = round(float(t), 2), score
    return best


def floor_to(value: float, margin: float) -> float:
    return math.floor((value - margin) * 100) / 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--val", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--epochs", type=int, default=10, help="damage model epochs")
    parser.add_argument("--screen-epochs", type=int, default=4, help="screen model epochs (an easier task)")
    parser.add_argument("--tasks", default="damage,screen", help="comma-separated subset to (re)train; the card keeps the others")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--margin", type=float, default=0.05, help="card figures = measured - margin")
    args = parser.parse_args()

    started = time.time()
    train_x, train_labels = load_set(args.train)
    val_x, val_labels = load_set(args.val)
    test_x, test_labels = load_set(args.test)
    print(f"loaded {len(train_x)} train, {len(val_x)} val, {len(test_x)} test photos ({time.time() - started:.0f}s)")

    tasks = {
        "damage": ("damage-v1.onnx", [("damage_probability", 1), ("damage_class_scores", 3)],
                   "fleetwire damage model v1: image [N,3,192,256] RGB/255 -> damage_probability [N,1], damage_class_scores [N,3] (scratch, dent, crack)"),
        "screen": ("screen-v1.onnx", [("screen_probability", 1)],
                   "fleetwire screen-photo model v1: image [N,3,192,256] RGB/255 -> screen_probability [N,1]"),
    }
    card: dict = {"input": {"name": "image", "shape": [1, 3, HEIGHT, WIDTH], "layout": "NCHW", "scale": "RGB / 255",
                            "preprocess": "EXIF auto-orient, resize to 256x192 (fit fill)"},
                  "datasets": {"train": describe(train_labels, args.train), "validation": describe(val_labels, args.val),
                               "test": describe(test_labels, args.test)},
                  "margin": args.margin, "models": {}}
    card_path = args.out / "model-card.json"
    if card_path.exists():
        card["models"] = json.loads(card_path.read_text()).get("models", {})
    for task in args.tasks.split(","):
        file, outputs, doc = tasks[task]
        epochs = args.epochs if task == "damage" else args.screen_epochs
        print(f"training {task} for {epochs} epochs", flush=True)
        y_train = targets(train_labels, task)
        params = train(train_x, y_train, y_train.shape[1], epochs, args.seed)
        path = args.out / file
        export_onnx(params, outputs, path, doc)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        head = outputs[0][0]
        # Parity check: the ONNX graph must compute what JAX trained.
        jax_p = jax.nn.sigmoid(forward(params, jnp.asarray(val_x[:16].astype(np.float32) / 255.0)))[:, :1]
        onnx_p = predict(session, val_x[:16], head)
        assert np.max(np.abs(np.asarray(jax_p) - onnx_p)) < 1e-4, "ONNX export differs from the trained model"
        val_p = predict(session, val_x, head)[:, 0]
        test_p = predict(session, test_x, head)[:, 0]
        y_val, y_test = targets(val_labels, task)[:, 0], targets(test_labels, task)[:, 0]
        threshold = pick_threshold(val_p, y_val)
        measured = metrics(test_p, y_test, threshold)
        entry = {"file": file, "epochs": epochs, "outputs": {name: [1, width] for name, width in outputs}, "threshold": threshold,
                 "validation": metrics(val_p, y_val, threshold), "test": measured,
                 "stated": {k: floor_to(measured[k], args.margin) for k in ("accuracy", "recall", "precision")},
                 "bytes": path.stat().st_size}
        if task == "damage":
            scores = predict(session, test_x, "damage_class_scores")
            y_cls = targets(test_labels, task)[:, 1:]
            entry["test_per_class"] = {k: metrics(scores[:, i], y_cls[:, i], 0.5) for i, k in enumerate(DAMAGE_CLASSES)}
        card["models"][task] = entry
        print(json.dumps(entry, indent=1), flush=True)
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"done in {round(time.time() - started)}s")


def describe(labels: list[dict], folder: Path) -> dict:
    seed = int(labels[0]["id"].split("-")[1]) if labels else None
    return {"folder": folder.name, "seed": seed, "photos": len(labels), "damaged": sum(r["damaged"] for r in labels),
            "screen": sum(r["screen"] for r in labels)}


if __name__ == "__main__":
    main()
