"""Prints the figure tables of MODEL_CARD.md from model-card.json, so the page shows what the
training measured: python card_tables.py [path/to/model-card.json]"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CLASSES = ("scratch", "dent", "crack")


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "model-card.json"
    models = json.loads(path.read_text())["models"]
    print("| model | variant | file (bytes) | threshold | accuracy | precision | recall | stated accuracy / recall / precision |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("damage", "screen"):
        entry = models[name]
        for label, variant in (("float32", entry), ("int8", entry["int8"])):
            t, s = variant["test"]["photo"], variant["stated"]["photo"]
            print(f"| {entry['version']} | {label} | {variant['file']} ({variant['bytes']:,}) | {entry['thresholds']['photo']} | "
                  f"{t['accuracy']} | {t['precision']} | {t['recall']} | {s['accuracy']} / {s['recall']} / {s['precision']} |")
    damage = models["damage"]
    print()
    print("| class | threshold | float32 precision / recall | int8 precision / recall | stated (float32) precision / recall | positives |")
    print("|---|---|---|---|---|---|")
    for k in CLASSES:
        f, i, s = damage["test"]["classes"][k], damage["int8"]["test"]["classes"][k], damage["stated"]["classes"][k]
        print(f"| {k} | {damage['thresholds']['classes'][k]} | {f['precision']} / {f['recall']} | {i['precision']} / {i['recall']} | "
              f"{s['precision']} / {s['recall']} | {f['positives']} |")
    print()
    print("| location | float32 | int8 | stated (float32 / int8) | damaged photos |")
    print("|---|---|---|---|---|")
    f, i = damage["test"]["location"], damage["int8"]["test"]["location"]
    print(f"| hottest cell on a drawn mark | {f['hottest_cell_on_mark']} | {i['hottest_cell_on_mark']} | "
          f"{damage['stated']['location']['hottest_cell_on_mark']} / {damage['int8']['stated']['location']['hottest_cell_on_mark']} | {f['photos']} |")


if __name__ == "__main__":
    main()
