"""Two stance models on the NLI held-out slice: accuracy of each, and McNemar's exact test on the pairs where
exactly one of them is right (the rule for shipping a new model: p < 0.05 and better on the news dev set).

    python benchmarks/compare_stance.py \
        --data ../shared/data/nli/nli_pairs.jsonl.gz ../shared/data/nli/nli_more.jsonl.gz \
        --old index/stance/nli-minilm-l6 --new runs/nli-l6-news [--json OUT]

The held-out slice is rebuilt as training built it (`--seed`, `--holdout`, `--holdout-more`: keep those of the
runs compared), so neither model has trained on it. A model trained on the first file alone never saw any of
the further files. Pairs of a two-way source are right when entailment-or-not is; the test pools every pair.
`--read both` scores each pair as the service reads a statement (`index.stance.read_statements`): reported speech
on what it reports, a denial also through what it denies, a claim passed on from a post as no evidence
(`index/text/frames.py`), and the claim restated in the statement's words (its figures, bounded dates, verbs of
direction, movements: `index/text/restate.py`), so the figures are the stance reader's rather than the network's
alone; `--read new` reads so only the new side (`--old` and `--new` the same directory: what the reading adds to
that model).
"""

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np
from common import emit

from factdesk.index.stance import read_statements
from factdesk.index.stance.model import load_model
from factdesk.training.stance_data import load_data
from factdesk.training.stance_eval import predictions


def mcnemar_p(only_old: int, only_new: int) -> float:
    """Two-sided exact McNemar test: binomial(n, 1/2) on the discordant pairs."""
    n, k = only_old + only_new, min(only_old, only_new)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def probabilities(directory: Path, pairs: list[tuple[str, str]], read: bool) -> np.ndarray:
    model = load_model(directory)
    if not read:
        return model.predict(pairs, 16)
    return np.array(read_statements(lambda asked: model.predict(asked, 16), pairs)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="the NLI pair files of the training run")
    parser.add_argument("--old", type=Path, required=True, help="the shipped stance model directory")
    parser.add_argument("--new", type=Path, required=True, help="the candidate stance model directory")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--holdout", type=int, default=3600)
    parser.add_argument("--holdout-more", type=int, default=4000)
    parser.add_argument(
        "--read", choices=("both", "new"), help="read each pair through the claim's restatements too, on these sides"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    _, held = load_data(args.data, args.holdout, args.holdout_more, args.seed)
    pairs = [(p["premise"], p["hypothesis"]) for p in held]
    right = {}
    figures: dict[str, Any] = {"pairs": len(held), "read": args.read}
    for name, directory in (("old", args.old), ("new", args.new)):
        read = args.read == "both" or (args.read == "new" and name == "new")
        gold, pred = predictions(probabilities(directory, pairs, read), held)
        right[name] = np.array(gold) == np.array(pred)
        figures[name] = {"model": str(directory), "accuracy": round(float(right[name].mean()), 4)}
        for key in ("data", "source"):
            figures[name][f"by_{key}"] = {
                value: round(float(right[name][[i for i, p in enumerate(held) if p[key] == value]].mean()), 4)
                for value in sorted({p[key] for p in held})
            }
    only_old = int((right["old"] & ~right["new"]).sum())
    only_new = int((right["new"] & ~right["old"]).sum())
    figures["mcnemar"] = {"only_old_right": only_old, "only_new_right": only_new, "p": mcnemar_p(only_old, only_new)}
    emit(figures, args.json)


if __name__ == "__main__":
    main()
