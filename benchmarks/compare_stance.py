"""Two stance models on the NLI held-out slice: accuracy of each, and McNemar's exact test on the pairs where
exactly one of them is right (the rule for shipping a new model: p < 0.05 and better on the news dev set).

    python benchmarks/compare_stance.py --data ../shared/data/nli/nli_pairs.jsonl.gz \
        --old index/stance/nli-minilm-l6 --new runs/nli-l6-news [--json OUT]

The held-out slice is rebuilt as training built it (`--seed`, `--holdout`: keep those of the runs compared), so
neither model has trained on it.
"""

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np
from common import emit

from index.stance.labels import LABELS
from index.stance.model import StanceModel
from index.stance.train import load_pairs, split_holdout


def mcnemar_p(only_old: int, only_new: int) -> float:
    """Two-sided exact McNemar test: binomial(n, 1/2) on the discordant pairs."""
    n, k = only_old + only_new, min(only_old, only_new)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the NLI pairs the models were trained on")
    parser.add_argument("--old", type=Path, required=True, help="the shipped stance model directory")
    parser.add_argument("--new", type=Path, required=True, help="the candidate stance model directory")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--holdout", type=int, default=3600)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    _, held = split_holdout(load_pairs(args.data), args.holdout, args.seed)
    gold = np.array([LABELS.index(p["label"]) for p in held])
    pairs = [(p["premise"], p["hypothesis"]) for p in held]
    right = {}
    figures: dict[str, Any] = {"pairs": len(held)}
    for name, directory in (("old", args.old), ("new", args.new)):
        pred = StanceModel(directory).predict(pairs, 16).argmax(1)
        right[name] = pred == gold
        by_source = {}
        for source in sorted({p["source"] for p in held}):
            idx = np.array([i for i, p in enumerate(held) if p["source"] == source])
            by_source[source] = round(float(right[name][idx].mean()), 4)
        figures[name] = {"model": str(directory), "accuracy": round(float(right[name].mean()), 4)} | {
            "by_source": by_source
        }
    only_old = int((right["old"] & ~right["new"]).sum())
    only_new = int((right["new"] & ~right["old"]).sum())
    figures["mcnemar"] = {"only_old_right": only_old, "only_new_right": only_new, "p": mcnemar_p(only_old, only_new)}
    emit(figures, args.json)


if __name__ == "__main__":
    main()
