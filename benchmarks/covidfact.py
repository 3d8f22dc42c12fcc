"""COVID-Fact dev set: retrieval recall@5, verdict macro-F1 and calibration, ingest and check speed.

Each corpus line becomes an article (gold evidence and distractors alike); each claim is checked with
top_k=5. recall@5 counts a claim as found when any of its gold evidence sentences is among the 5.
Verdicts are scored against SUPPORTS → supported and REFUTES → refuted; `conflicting` and
`not_enough_evidence` count as wrong. ECE uses 10 equal-width confidence bins.

    python benchmarks/covidfact.py --data ../shared/data/dev/covidfact [--limit N] [--tune] [--json OUT]

`--tune` grid-searches the verdict thresholds (DECIDE, STRONG in index/verdict.py) on one half of the
claims and reports the other half with them (2-fold), so the figure is not tuned on itself.
"""

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import emit
from tqdm import tqdm

from index.archive import Archive, Article, CheckResult
from index.embed import ENCODERS, load_embedder
from index.segment import split_article
from index.stance import STANCE_MODES, load_stance
from index.verdict import CALIBRATION, DECIDE, NOT_ENOUGH, STRONG, Verdict, decide_verdict

GOLD = {"SUPPORTS": "supported", "REFUTES": "refuted"}


def timed(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    started = time.perf_counter()
    fn(texts)
    return time.perf_counter() - started


def macro_f1(gold: list[str], pred: list[str]) -> float:
    scores = []
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(p == label and g != label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def ece(confidence: list[float], correct: list[bool], bins: int = 10) -> float:
    total, error = len(confidence), 0.0
    for b in range(bins):
        idx = [i for i, c in enumerate(confidence) if b / bins <= c < (b + 1) / bins or (b == bins - 1 and c == 1.0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidence[i] for i in idx) / len(idx)
            error += len(idx) / total * abs(acc - conf)
    return error


def decided_verdicts(verdicts: list[Verdict], gold: list[str]) -> list[tuple[float, bool]]:
    """(confidence, correct) of every verdict other than not_enough_evidence."""
    return [(v.confidence, v.label == g) for v, g in zip(verdicts, gold, strict=True) if v.label != NOT_ENOUGH]


def score(
    results: list[CheckResult], gold: list[str], decide: float, strong: float, calibration: tuple[float, float] | None
) -> dict[str, object]:
    verdicts = [decide_verdict(r.evidence, decide, strong, calibration) for r in results]
    pred = [v.label for v in verdicts]
    correct = [p == g for p, g in zip(pred, gold, strict=True)]
    decided = decided_verdicts(verdicts, gold)
    return {
        "macro_f1": round(macro_f1(gold, pred), 4),
        "accuracy": round(sum(correct) / len(correct), 4),
        "ece": round(ece([v.confidence for v in verdicts], correct), 4),
        # COVID-Fact has no not-enough-evidence class: each such verdict is wrong, however sure
        "ece_decided": round(ece([c for c, _ in decided], [ok for _, ok in decided]), 4) if decided else None,
        "predicted": {label: pred.count(label) for label in sorted(set(pred))},
    }


def fit_platt(raw: list[float], correct: list[bool]) -> tuple[float, float]:
    """Logistic regression of correctness on raw confidence (Newton's method, lightly regularised)."""
    x, y = np.array(raw), np.array(correct, dtype=float)
    w = np.zeros(2)
    features = np.stack([x, np.ones_like(x)], 1)
    for _ in range(50):
        p = 1 / (1 + np.exp(-features @ w))
        gradient = features.T @ (p - y) + 1e-3 * w
        hessian = features.T @ (features * (p * (1 - p))[:, None]) + 1e-3 * np.eye(2)
        w -= np.linalg.solve(hessian, gradient)
    return round(float(w[0]), 4), round(float(w[1]), 4)


def tune(results: list[CheckResult], gold: list[str]) -> tuple[float, float, tuple[float, float]]:
    """Thresholds that maximise macro-F1, then the Platt calibration of the decided verdicts' confidence."""
    grid = [round(0.3 + 0.05 * i, 2) for i in range(13)]
    pairs = [(d, s) for d in grid for s in grid if s >= d]
    d, s = max(pairs, key=lambda t: score(results, gold, *t, None)["macro_f1"])
    decided = decided_verdicts([decide_verdict(r.evidence, d, s, None) for r in results], gold)
    return d, s, fit_platt([c for c, _ in decided], [ok for _, ok in decided])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data", type=Path, required=True, help="COVID-Fact dev directory (claims.jsonl, corpus.jsonl)"
    )
    parser.add_argument("--limit", type=int, help="check only the first N claims (a seeded sample)")
    parser.add_argument("--stance", default="auto", choices=STANCE_MODES)
    parser.add_argument("--encoder", default="onnx", choices=ENCODERS)
    parser.add_argument("--tune", action="store_true", help="2-fold tuning of the verdict thresholds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    corpus = [json.loads(line) for line in (args.data / "corpus.jsonl").open(encoding="utf-8")]
    claims = [json.loads(line) for line in (args.data / "claims.jsonl").open(encoding="utf-8")]
    if args.limit:
        claims = random.Random(7).sample(claims, min(args.limit, len(claims)))
    id_of = {c["text"]: c["id"] for c in corpus}

    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(Path(tmp), embedder=load_embedder(args.encoder), stance=load_stance(args.stance))
        articles = [Article(text=c["text"], id=c["id"], publisher=c.get("source")) for c in corpus]
        # the bare encoder on the same statements in the same calls as the ingest's, timed before and after it
        # (this box's speed drifts by up to 25% between runs): what ingest (split + embed + store + index) is
        # measured against
        calls = [
            [st.text for a in articles[i : i + 256] for st in split_article(a.text)]
            for i in range(0, len(articles), 256)
        ]
        texts = [t for call in calls for t in call]
        encoder_s = sum(timed(archive.embedder.embed, call) for call in calls)
        started = time.perf_counter()
        statements = 0
        for i in tqdm(range(0, len(articles), 256), desc="ingest", unit="batch"):
            statements += sum(o.statements for o in archive.ingest(articles[i : i + 256], save=False))
        archive.save()
        ingest_s = time.perf_counter() - started
        encoder_s = (encoder_s + sum(timed(archive.embedder.embed, call) for call in calls)) / 2

        results, latency, found = [], [], []
        for c in tqdm(claims, desc="check", unit="claim"):
            t0 = time.perf_counter()
            result = archive.check(c["claim"], top_k=5)
            latency.append((time.perf_counter() - t0) * 1000)
            results.append(result)
            gold_ids = set(c.get("evidence_ids") or []) or {id_of[t] for t in c["evidence"] if t in id_of}
            found.append(any(e.article.id in gold_ids for e in result.evidence))
        archive.close()

    gold = [GOLD[c["label"]] for c in claims]
    latency.sort()
    figures: dict[str, object] = {
        "claims": len(claims),
        "corpus_articles": len(articles),
        "statements": statements,
        "stance": archive.stance.name,
        "recall_at_5": round(sum(found) / len(found), 4),
        "encoder": archive.embedder.encoder,
        "ingest_statements_per_s": round(statements / ingest_s, 1),
        "encoder_statements_per_s": round(len(texts) / encoder_s, 1),
        "ingest_vs_encoder": round((statements / ingest_s) / (len(texts) / encoder_s), 3),
        "check_ms_p50": round(statistics.median(latency), 1),
        "check_ms_p99": round(latency[min(len(latency) - 1, int(0.99 * len(latency)))], 1),
        "verdict": score(results, gold, DECIDE, STRONG, CALIBRATION)
        | {"decide": DECIDE, "strong": STRONG, "calibration": CALIBRATION},
    }
    if args.tune:
        order = list(range(len(claims)))
        random.Random(11).shuffle(order)
        halves = [order[: len(order) // 2], order[len(order) // 2 :]]
        folds = []
        for tune_on, test_on in (halves, halves[::-1]):
            d, s, cal = tune([results[i] for i in tune_on], [gold[i] for i in tune_on])
            held = score([results[i] for i in test_on], [gold[i] for i in test_on], d, s, cal)
            folds.append({"decide": d, "strong": s, "calibration": cal} | held)
        d, s, cal = tune(results, gold)
        figures["tuning"] = {"two_fold": folds, "all_claims": {"decide": d, "strong": s, "calibration": cal}}
    emit(figures, args.json)


if __name__ == "__main__":
    main()
