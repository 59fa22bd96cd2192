"""Train fleetwire's return-photo models (damage, screen) and export them to ONNX, float and INT8.

Offline only: the edge runs the exported .onnx files with onnxruntime-node. Both models are the
same small CNN body (model.py; the damage model wider, with a localising head), trained with JAX
on CPU, written to ONNX by hand from the weights and checked against JAX, then quantised to INT8
(quantize.py). Thresholds are chosen on the validation set, figures measured on the test set
(evaluate.py), and everything goes to model-card.json.

Input contract (both models): `image`, float32 [N, 3, 192, 256], RGB, value / 255 (0..1),
after EXIF auto-orientation and a resize to 256x192 (fit 'fill').
Outputs: damage -> `damage_probability` [N, 1], `damage_class_scores` [N, 3] (scratch, dent,
crack; independent sigmoids), `damage_location` [N, 6, 8] (per grid cell); screen ->
`screen_probability` [N, 1].

Usage: python train.py --train DIR --val DIR --test DIR  (see README.md)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from dataset import GRID_COLS, GRID_ROWS, HEIGHT, WIDTH, cell_targets, describe, load_set, targets
from evaluate import choose_thresholds, measure, open_session, predict, stated
from model import WIDTHS, export_onnx, forward, init_params, parameter_count, params_from_onnx, widen
from quantize import quantize

# damage-v5: damage-v4 trained further on the simulator's photos with scratches drawn as matte
# grooves (README.md). screen-v2 is unchanged.
VERSIONS = {"damage": "v5", "screen": "v2"}
TASKS = {
    "damage": ("damage_probability", "fleetwire damage model: image [N,3,192,256] RGB/255 -> damage_probability [N,1], "
               "damage_class_scores [N,3] (scratch, dent, crack), damage_location [N,6,8] (grid cells)"),
    "screen": ("screen_probability", "fleetwire screen-photo model: image [N,3,192,256] RGB/255 -> screen_probability [N,1]"),
}
# Weight of the per-cell loss beside the photo-level loss: the cells say where and what, the
# strongest supervision the simulator gives, so they weigh more than the photo labels.
LOCATION_WEIGHT = 3.0
CALIBRATION_PHOTOS = 256


# Weight of a class's cell where a mark of another kind lies (and none of its own): nearly every
# wrong class finding of damage-v3 was a mark of another kind on the same photo (a dent's bent
# reflection called a scratch, a scratch called a dent, a glass crack called a scratch), so
# telling kinds apart where a mark is weighs more than the empty paint around it.
OTHER_KIND_WEIGHT = 3.0


def bce(logits: jax.Array, y: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    losses = jnp.maximum(logits, 0) - logits * y + jnp.log1p(jnp.exp(-jnp.abs(logits)))
    return jnp.mean(losses if weights is None else losses * weights)


def other_kind_weights(cells: jax.Array) -> jax.Array:
    """[N, classes, rows, cols]: OTHER_KIND_WEIGHT where another class's mark covers the cell and this class's does not, else 1."""
    others = (jnp.sum(cells, axis=1, keepdims=True) - cells) > 0
    return jnp.where(others & (cells < 0.5), OTHER_KIND_WEIGHT, 1.0)


def loss_fn(params: dict, x: jax.Array, y: jax.Array, cells: jax.Array) -> jax.Array:
    logits, location = forward(params, x)
    loss = bce(logits, y)
    if location is not None:
        loss = loss + LOCATION_WEIGHT * bce(location, cells, other_kind_weights(cells))
    return loss


def train(task: str, images: np.ndarray, y: np.ndarray, cells: np.ndarray | None, epochs: int, seed: int, lr_max: float,
          start: Path | None = None) -> dict:
    if start is None:
        params = init_params(jax.random.PRNGKey(seed), task)
    else:
        # A narrower model (damage-v2) is widened to this recipe's channels without changing its output.
        params = widen(params_from_onnx(start), WIDTHS[task], jax.random.PRNGKey(seed))
    moments = jax.tree_util.tree_map(lambda p: (jnp.zeros_like(p), jnp.zeros_like(p)), params)
    batch = 32
    steps_per_epoch = len(images) // batch
    total = epochs * steps_per_epoch
    if cells is None:
        cells = np.zeros((len(images), 1, GRID_ROWS, GRID_COLS), dtype=np.float32)

    @jax.jit
    def step(params, moments, x, y, c, t):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y, c)
        lr = lr_max * 0.5 * (1 + jnp.cos(jnp.pi * t / total))
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
            c = cells[idx].copy()
            # Horizontal flips: the car faces either way; its damage map flips with it.
            flip = rng.random(len(idx)) < 0.5
            x[flip] = x[flip, :, :, ::-1]
            c[flip] = c[flip, :, :, ::-1]
            params, moments, loss = step(params, moments, jnp.asarray(x), jnp.asarray(y[idx]), jnp.asarray(c), t)
            losses.append(float(loss))
            t += 1
        print(f"  epoch {epoch + 1}/{epochs} loss {np.mean(losses):.4f} ({time.time() - started:.0f}s)", flush=True)
    return params


def check_parity(params: dict, session, task: str, images: np.ndarray) -> None:
    """The ONNX graph must compute what JAX trained, every output."""
    logits, location = forward(params, jnp.asarray(images.astype(np.float32) / 255.0))
    expected = {TASKS[task][0]: jax.nn.sigmoid(logits[:, :1])}
    if task == "damage":
        expected["damage_class_scores"] = jax.nn.sigmoid(logits[:, 1:])
        expected["damage_location"] = jax.nn.sigmoid(location.max(axis=1))
    got = predict(session, images, list(expected))
    for name, value in expected.items():
        assert np.max(np.abs(np.asarray(value) - got[name])) < 1e-4, f"ONNX export differs from the trained model in {name}"


def remeasure(entry: dict, out: Path, task: str, val_x, val_labels, test_x, test_labels, margin: float) -> None:
    for variant in (entry, entry["int8"]):
        session = open_session(str(out / variant["file"]))
        variant["validation"] = measure(session, task, val_x, val_labels, entry["thresholds"])
        variant["test"] = measure(session, task, test_x, test_labels, entry["thresholds"])
        variant["stated"] = stated(variant["test"], margin)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--val", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--epochs", type=int, default=12, help="damage model epochs")
    parser.add_argument("--screen-epochs", type=int, default=4, help="screen model epochs (an easier task)")
    parser.add_argument("--learning-rate", type=float, default=2e-3, help="peak of the cosine schedule")
    parser.add_argument("--tasks", default="damage,screen", help="comma-separated subset to (re)train; the card keeps the others")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--damage-from", type=Path, default=None,
                        help="start the damage model from this ONNX file (same layers, written by model.py; widened to "
                             "model.WIDTHS if narrower, without changing its output) instead of random weights")
    parser.add_argument("--margin", type=float, default=0.05, help="stated figures = measured - margin")
    args = parser.parse_args()

    started = time.time()
    train_x, train_labels = load_set(args.train)
    val_x, val_labels = load_set(args.val)
    test_x, test_labels = load_set(args.test)
    print(f"loaded {len(train_x)} train, {len(val_x)} val, {len(test_x)} test photos ({time.time() - started:.0f}s)")

    card_path = args.out / "model-card.json"
    previous = json.loads(card_path.read_text()).get("models", {}) if card_path.exists() else {}
    card: dict = {"input": {"name": "image", "shape": [1, 3, HEIGHT, WIDTH], "layout": "NCHW", "scale": "RGB / 255",
                            "preprocess": "EXIF auto-orient, resize to 256x192 (fit fill)"},
                  "datasets": {"train": describe(train_labels, args.train), "validation": describe(val_labels, args.val),
                               "test": describe(test_labels, args.test)},
                  "margin": args.margin, "models": previous}
    tasks = args.tasks.split(",")
    for task, entry in previous.items():
        if task not in tasks:
            # Kept, not retrained: its figures must still belong to the sets this card names.
            remeasure(entry, args.out, task, val_x, val_labels, test_x, test_labels, args.margin)
    for task in tasks:
        doc = TASKS[task][1]
        epochs = args.epochs if task == "damage" else args.screen_epochs
        print(f"training {task} for {epochs} epochs", flush=True)
        y_train = targets(train_labels, task)
        cells = cell_targets(train_labels) if task == "damage" else None
        start = args.damage_from if task == "damage" else None
        params = train(task, train_x, y_train, cells, epochs, args.seed, args.learning_rate, start)
        version = f"{task}-{VERSIONS[task]}"
        path = args.out / f"{version}.onnx"
        export_onnx(params, path, f"{doc} ({version})")
        session = open_session(str(path))
        check_parity(params, session, task, val_x[:16])
        thresholds = choose_thresholds(session, task, val_x, val_labels)
        figures = measure(session, task, test_x, test_labels, thresholds)
        entry = {"version": version, "file": path.name, "epochs": epochs, "seed": args.seed, "learning_rate": args.learning_rate,
                 **({"started_from": {"file": start.name, "sha256": sha256(start)}} if start is not None else {}),
                 "parameters": parameter_count(params),
                 "bytes": path.stat().st_size, "sha256": sha256(path), "thresholds": thresholds,
                 "validation": measure(session, task, val_x, val_labels, thresholds), "test": figures,
                 "stated": stated(figures, args.margin)}
        if task == "damage":
            entry["grid"] = {"rows": GRID_ROWS, "cols": GRID_COLS}
        int8_path = args.out / f"{version}-int8.onnx"
        quantize(path, int8_path, train_x[:CALIBRATION_PHOTOS])
        int8 = open_session(str(int8_path))
        int8_figures = measure(int8, task, test_x, test_labels, thresholds)
        entry["int8"] = {"file": int8_path.name, "bytes": int8_path.stat().st_size, "sha256": sha256(int8_path), "calibration_photos": CALIBRATION_PHOTOS,
                         "validation": measure(int8, task, val_x, val_labels, thresholds), "test": int8_figures,
                         "stated": stated(int8_figures, args.margin)}
        card["models"][task] = entry
        print(json.dumps(entry, indent=1), flush=True)
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"done in {round(time.time() - started)}s")


if __name__ == "__main__":
    main()
