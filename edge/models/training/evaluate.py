"""Measuring an exported model through onnxruntime, the way the card reports it: photo-level
figures at the model's threshold, per-class figures at each class's threshold, and how often the
hottest location cell lands on a drawn damage mark."""

from __future__ import annotations

import math

import numpy as np
import onnxruntime as ort

from dataset import DAMAGE_CLASSES, cell_targets, targets

THRESHOLD_STEPS = np.arange(0.1, 0.91, 0.05)


def open_session(path: str, threads: int = 2) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def predict(session: ort.InferenceSession, images: np.ndarray, outputs: list[str]) -> dict[str, np.ndarray]:
    out: dict[str, list[np.ndarray]] = {name: [] for name in outputs}
    for s in range(0, len(images), 64):
        x = images[s:s + 64].astype(np.float32) / 255.0
        for name, value in zip(outputs, session.run(outputs, {"image": x})):
            out[name].append(value)
    return {name: np.concatenate(values) for name, values in out.items()}


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


def balanced_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """Photo level: the threshold with the best balanced accuracy, on the 0.05 steps."""
    def score(t: float) -> float:
        pred, truth = p >= t, y >= 0.5
        return (np.mean(pred[truth]) + np.mean(~pred[~truth])) / 2
    return best_step(score)


def balanced_class_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """Per class (about a quarter of photos are positive): the threshold where the smaller of
    precision and recall is largest. The edge needs both (a missed mark costs a claim, a wrong
    one a dispute); best F1 let one be bought with the other (damage-v3's crack: precision 0.96
    for recall 0.82)."""
    def score(t: float) -> float:
        m = metrics(p, y, t)
        return min(m["precision"], m["recall"])
    return best_step(score)


def best_step(score) -> float:
    best, best_score = 0.5, -1.0
    for t in THRESHOLD_STEPS:
        s = score(float(t))
        if s > best_score + 1e-9:
            best, best_score = round(float(t), 2), s
    return best


def location_hits(location: np.ndarray, labels: list[dict]) -> dict:
    """Over damaged photos: the share whose hottest cell overlaps a drawn mark."""
    cells = cell_targets(labels).max(axis=1)
    damaged = [i for i, r in enumerate(labels) if r["damaged"]]
    hits = 0
    for i in damaged:
        hottest = np.unravel_index(int(np.argmax(location[i])), location[i].shape)
        hits += int(cells[i][hottest] > 0)
    return {"hottest_cell_on_mark": round(hits / max(1, len(damaged)), 4), "photos": len(damaged)}


def floor_to(value: float, margin: float) -> float:
    return math.floor((value - margin) * 100) / 100


def measure(session: ort.InferenceSession, task: str, images: np.ndarray, labels: list[dict], thresholds: dict) -> dict:
    """Figures of one model on one set at the given thresholds ({photo, classes?})."""
    y = targets(labels, task)
    if task == "screen":
        p = predict(session, images, ["screen_probability"])["screen_probability"]
        return {"photo": metrics(p[:, 0], y[:, 0], thresholds["photo"])}
    out = predict(session, images, ["damage_probability", "damage_class_scores", "damage_location"])
    return {
        "photo": metrics(out["damage_probability"][:, 0], y[:, 0], thresholds["photo"]),
        "classes": {k: metrics(out["damage_class_scores"][:, i], y[:, 1 + i], thresholds["classes"][k]) for i, k in enumerate(DAMAGE_CLASSES)},
        "location": location_hits(out["damage_location"], labels),
    }


def choose_thresholds(session: ort.InferenceSession, task: str, images: np.ndarray, labels: list[dict]) -> dict:
    """Thresholds chosen on the validation set."""
    y = targets(labels, task)
    if task == "screen":
        p = predict(session, images, ["screen_probability"])["screen_probability"]
        return {"photo": balanced_threshold(p[:, 0], y[:, 0])}
    out = predict(session, images, ["damage_probability", "damage_class_scores"])
    return {
        "photo": balanced_threshold(out["damage_probability"][:, 0], y[:, 0]),
        "classes": {k: balanced_class_threshold(out["damage_class_scores"][:, i], y[:, 1 + i]) for i, k in enumerate(DAMAGE_CLASSES)},
    }


def stated(figures: dict, margin: float) -> dict:
    """The figures the quality test enforces on a fresh set: measured - margin, rounded down.

    Per class the margin is doubled: a class has about half the positives of "any damage" (and
    a quarter on the quality test's 300 photos, ~80), so its sampling error is about twice as
    large (one standard error of a recall of 0.75 on 80 positives is 0.05)."""
    floors = {"photo": {k: floor_to(figures["photo"][k], margin) for k in ("accuracy", "recall", "precision")}}
    if "classes" in figures:
        floors["classes"] = {c: {k: floor_to(m[k], 2 * margin) for k in ("recall", "precision")} for c, m in figures["classes"].items()}
        floors["location"] = {"hottest_cell_on_mark": floor_to(figures["location"]["hottest_cell_on_mark"], margin)}
    return floors
