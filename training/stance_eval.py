"""Held-out figures of a stance model: accuracy and F1 by label, source and data file."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from factdesk.index.stance.labels import LABELS, NOT_ENTAILMENT
from factdesk.training.stance_data import TARGETS, Pair


def classification_report(gold: Sequence[int], pred: Sequence[int]) -> dict[str, Any]:
    """Accuracy, F1 per label present in `gold` and their mean; indices are into `TARGETS`."""
    gold_a, pred_a = np.asarray(gold), np.asarray(pred)
    report: dict[str, Any] = {"n": len(gold_a), "accuracy": float((gold_a == pred_a).mean()) if len(gold_a) else 0.0}
    f1s = []
    for k, name in enumerate(TARGETS):
        tp = int(((pred_a == k) & (gold_a == k)).sum())
        fp = int(((pred_a == k) & (gold_a != k)).sum())
        fn = int(((pred_a != k) & (gold_a == k)).sum())
        if tp + fn == 0:
            continue
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[f"f1_{name}"] = round(f1, 4)
        f1s.append(f1)
    report["macro_f1"] = round(float(np.mean(f1s)), 4) if f1s else 0.0
    report["accuracy"] = round(report["accuracy"], 4)
    return report


def two_way_sources(pairs: Iterable[Pair]) -> set[str]:
    return {p["source"] for p in pairs if p["label"] == NOT_ENTAILMENT}


def predictions(probs: np.ndarray, pairs: Sequence[Pair]) -> tuple[list[int], list[int]]:
    """(gold, predicted) indices into `TARGETS`: the pairs of a source with two-way labels (`two_way_sources`) are
    read two-way (entailment or not), every other pair three-way."""
    two_way = two_way_sources(pairs)
    gold, pred = [], []
    for row, p in zip(probs, pairs, strict=True):
        label = int(row.argmax())
        if p["source"] in two_way and label != 0:
            label = TARGETS.index(NOT_ENTAILMENT)
        gold.append(TARGETS.index(p["label"]))
        pred.append(label)
    return gold, pred


def evaluate(probs: np.ndarray, pairs: Sequence[Pair], files: Sequence[str] = ()) -> dict[str, Any]:
    """Figures over the three-way pairs ("overall"), per source (two-way sources read two-way) and, where
    `files` names each pair's data file, per file (the first file's slice is the one older models were held
    out on)."""
    gold, pred = predictions(probs, pairs)
    two_way = two_way_sources(pairs)
    three = [i for i, p in enumerate(pairs) if p["source"] not in two_way]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        groups[p["source"]].append(i)
    figures = {
        "overall": classification_report([gold[i] for i in three], [pred[i] for i in three]),
        "by_source": {
            s: classification_report([gold[i] for i in idx], [pred[i] for i in idx])
            for s, idx in sorted(groups.items())
        },
    }
    if files:
        by_file: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(files):
            by_file[name].append(i)
        figures["by_file"] = {
            name: classification_report([gold[i] for i in idx], [pred[i] for i in idx]) for name, idx in by_file.items()
        }
    return figures


def evaluate_two_way(probs: np.ndarray, pairs: Sequence[Pair]) -> dict[str, Any]:
    """Entailment vs contradiction only (the set has no neutral class)."""
    gold = [LABELS.index(p["label"]) for p in pairs]
    two = probs[:, [0, 2]].argmax(1)
    pred = np.where(two == 0, 0, 2).tolist()
    return {
        "three_way": classification_report(gold, probs.argmax(1).tolist()),
        "entail_vs_contra": classification_report(gold, pred),
    }
