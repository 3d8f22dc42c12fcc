"""Fit the check-worthiness model (`index/checkworthy.py`) on ClaimBuster's labelled sentences.

    python training/fit_checkworthiness.py --data ../shared/data/checkworthiness/claimbuster.jsonl \
        --claims ../shared/data/nli/nli_pairs.jsonl.gz [--out index/checkworthiness.json] [--folds 4] [--c 4.0]

Features as the runtime computes them (the ONNX sentence embedding, hashed words and word pairs, the heuristic's
cues); a logistic regression (scikit-learn, L2, C = --c). ClaimBuster's sentences come from debates, where a
speaker's own anecdote ("I spoke with the president") is an unimportant fact; news copy is full of such
sentences that a desk must check. `--claims` adds, as check-worthy, the claims that fact-checkers did check in
the NLI file: LIAR-PLUS's (PolitiFact, CC0) and Emergent's (news rumours, MIT). They are always on the training
side; the k-fold figures are ClaimBuster's alone. The default level is chosen on ClaimBuster's held-out
predictions: the lowest multiple of 0.05 whose F1 of the check-worthy class is within 0.005 of the best. The
figures written beside the weights are those held-out predictions' (the model that ships is then fitted on every
sentence).
"""

import argparse
import gzip
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from factdesk.index.embed import load_embedder
from factdesk.index.ingest.checkworthy import (
    FEATURES,
    MODEL_FILE,
    NGRAM_BUCKETS,
    CheckworthinessModel,
    features,
    ngram_buckets,
)
from factdesk.index.ingest.segment import find_speaker

ROOT = Path(__file__).resolve().parents[1]


def design(texts: list[str], vectors: np.ndarray) -> csr_matrix:
    """[embedding | cues | n-gram buckets], one row a sentence, as `CheckworthinessModel.scores` weighs them."""
    cues = np.stack([features(t, find_speaker(t, None)) for t in texts])
    rows, cols, values = [], [], []
    for i, t in enumerate(texts):
        for bucket, weight in ngram_buckets(t).items():
            rows.append(i)
            cols.append(bucket)
            values.append(weight)
    grams = csr_matrix((values, (rows, cols)), shape=(len(texts), NGRAM_BUCKETS), dtype=np.float32)
    return hstack([csr_matrix(vectors), csr_matrix(cues), grams]).tocsr()


def figures(gold: np.ndarray, probs: np.ndarray, level: float) -> dict[str, float]:
    p, r, f, _ = precision_recall_fscore_support(gold, probs >= level, average="binary", zero_division=0)
    return {
        "average_precision": round(float(average_precision_score(gold, probs)), 4),
        "precision": round(float(p), 4),
        "recall": round(float(r), 4),
        "f1": round(float(f), 4),
    }


def best_level(gold: np.ndarray, probs: np.ndarray, tolerance: float = 0.005) -> float:
    """The lowest level (in steps of 0.05) whose F1 is within `tolerance` of the best: among levels that score
    alike, the one that misses fewer check-worthy sentences (a false claim left unchecked costs a desk more than
    a sentence checked for nothing)."""
    levels = [float(level) for level in np.round(np.arange(0.2, 0.8, 0.05), 2)]
    f1 = {level: figures(gold, probs, level)["f1"] for level in levels}
    return min(level for level in levels if f1[level] >= max(f1.values()) - tolerance)


CHECKED_SOURCES = ("liar_plus", "emergent")  # NLI sources whose hypotheses are claims fact-checkers checked


def checked_claims(path: Path) -> list[str]:
    """The distinct hypotheses of CHECKED_SOURCES in an NLI pairs file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    return sorted({p["hypothesis"] for p in pairs if p["source"] in CHECKED_SOURCES})


def held_out(
    x: csr_matrix, gold: np.ndarray, folds: int, c: float, seed: int, extra: csr_matrix | None = None
) -> np.ndarray:
    """Each sentence's probability from the fold that did not train on it; `extra` rows (check-worthy) are
    trained on in every fold."""
    probs = np.zeros(len(gold))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(gold)), gold):
        fit = fitted(x[train], gold[train], c, extra)
        probs[test] = fit.predict_proba(x[test])[:, 1]
    return probs


def fitted(x: csr_matrix, gold: np.ndarray, c: float, extra: csr_matrix | None = None) -> LogisticRegression:
    if extra is not None and extra.shape[0]:
        x, gold = vstack([x, extra]).tocsr(), np.concatenate([gold, np.ones(extra.shape[0], dtype=gold.dtype)])
    return LogisticRegression(C=c, max_iter=5000).fit(x, gold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="claimbuster.jsonl: {id, text, checkworthy}")
    parser.add_argument("--claims", type=Path, help="NLI pairs file whose LIAR-PLUS and Emergent claims are added")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--c", type=float, default=4.0, help="inverse L2 strength")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.data.open(encoding="utf-8") if line.strip()]
    texts = [r["text"] for r in rows]
    gold = np.array([int(r["checkworthy"]) for r in rows])
    embedder = load_embedder("onnx")
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    x = design(texts, vectors)
    claims = checked_claims(args.claims) if args.claims else []
    extra = design(claims, np.asarray(embedder.embed(claims), dtype=np.float32)) if claims else None
    probs = held_out(x, gold, args.folds, args.c, args.seed, extra)
    level = best_level(gold, probs)
    fit = fitted(x, gold, args.c, extra)
    weights = fit.coef_[0]
    dims = vectors.shape[1]
    about: dict[str, Any] = {
        "data": f"{args.data.name} ({len(rows)} sentences, {int(gold.sum())} check-worthy), sha256 "
        + hashlib.sha256(args.data.read_bytes()).hexdigest(),
        "source": "ClaimBuster (Arslan et al., ICWSM 2020), utaresearch/claimbuster-spotter @ 332bba08",
        "checked_claims": f"{len(claims)} claims of {', '.join(CHECKED_SOURCES)} from {args.claims.name}, sha256 "
        + hashlib.sha256(args.claims.read_bytes()).hexdigest()
        if args.claims
        else None,
        "command": "python training/fit_checkworthiness.py --data ../shared/data/checkworthiness/claimbuster.jsonl "
        + ("--claims ../shared/data/nli/nli_pairs.jsonl.gz " if args.claims else "")
        + f"--folds {args.folds} --c {args.c} --seed {args.seed}",
        "fitted": date.today().isoformat(),
        "held_out": {"folds": args.folds, "at_default_level": figures(gold, probs, level)}
        | {"at_0.5": figures(gold, probs, 0.5)},
    }
    model = CheckworthinessModel(
        weights[:dims],
        weights[dims : dims + len(FEATURES)],
        weights[dims + len(FEATURES) :],
        float(fit.intercept_[0]),
        level,
        about,
    )
    args.out.write_text(json.dumps(model.to_json()) + "\n", encoding="utf-8")
    print(json.dumps({"default_level": level} | about["held_out"], indent=2))


if __name__ == "__main__":
    main()
