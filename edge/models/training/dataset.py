"""Labelled photo sets exported by simulators/src/photos/export-dataset.ts, read the way the edge
reads a photo (edge/src/vision/photos/preprocess.ts): EXIF orientation, RGB, 256x192 fill."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

HEIGHT, WIDTH = 192, 256
DAMAGE_CLASSES = ("scratch", "dent", "crack")
# The damage location grid: rows x columns of equal cells over the (upright) photo.
GRID_ROWS, GRID_COLS = 6, 8


def load_set(folder: Path) -> tuple[np.ndarray, list[dict]]:
    labels = [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines() if line]
    images = np.empty((len(labels), 3, HEIGHT, WIDTH), dtype=np.uint8)
    for i, row in enumerate(labels):
        with Image.open(folder / row["file"]) as im:
            im = ImageOps.exif_transpose(im).convert("RGB")
            if im.size != (WIDTH, HEIGHT):
                im = im.resize((WIDTH, HEIGHT), Image.BILINEAR)
            images[i] = np.asarray(im).transpose(2, 0, 1)
    return images, labels


def targets(labels: list[dict], task: str) -> np.ndarray:
    """screen: [N, 1]; damage: [N, 4] = any damage, scratch, dent, crack."""
    if task == "screen":
        return np.array([[float(r["screen"])] for r in labels], dtype=np.float32)
    return np.array(
        [[float(r["damaged"])] + [float(r["damage"][k] > 0) for k in DAMAGE_CLASSES] for r in labels],
        dtype=np.float32,
    )


def cell_targets(labels: list[dict]) -> np.ndarray:
    """[N, 3, GRID_ROWS, GRID_COLS]: 1 where a cell overlaps the box of a drawn mark of that class.

    The simulator labels each mark with its kind and box in upright pixels of the photo's own size."""
    cells = np.zeros((len(labels), len(DAMAGE_CLASSES), GRID_ROWS, GRID_COLS), dtype=np.float32)
    for i, row in enumerate(labels):
        for region in row.get("regions", []):
            cells[i, DAMAGE_CLASSES.index(region["kind"])][region_cells(region["box"], row["width"], row["height"])] = 1.0
    return cells


def region_cells(box: dict, width: int, height: int) -> np.ndarray:
    """Boolean [GRID_ROWS, GRID_COLS] mask of the cells a box overlaps."""
    mask = np.zeros((GRID_ROWS, GRID_COLS), dtype=bool)
    c0 = int(box["x"] * GRID_COLS // width)
    c1 = int(min(GRID_COLS - 1, (box["x"] + box["width"] - 1) * GRID_COLS // width))
    r0 = int(box["y"] * GRID_ROWS // height)
    r1 = int(min(GRID_ROWS - 1, (box["y"] + box["height"] - 1) * GRID_ROWS // height))
    mask[r0:r1 + 1, c0:c1 + 1] = True
    return mask


def describe(labels: list[dict], folder: Path) -> dict:
    seed = int(labels[0]["id"].split("-")[1]) if labels else None
    return {"folder": folder.name, "seed": seed, "photos": len(labels), "damaged": sum(r["damaged"] for r in labels),
            "screen": sum(r["screen"] for r in labels),
            **{k: sum(r["damage"][k] > 0 for r in labels) for k in DAMAGE_CLASSES}}
