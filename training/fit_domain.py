"""Fit the claim-domain model (`index/verdict/domain.py`): health sentences against news ones.

    python training/fit_domain.py --nli ../shared/data/nli/nli_pairs.jsonl.gz \
        --nli ../shared/data/nli/nli_more.jsonl.gz \
        --claimbuster ../shared/data/checkworthiness/claimbuster.jsonl [--out index/verdict/domain.json]

Health: HealthVer's evidence sentences (from CORD-19 abstracts) and its claims. News: FNC-1's
headlines, Emergent's rumours and headlines, LIAR-PLUS's political claims, WiCE's and FEVER's (symmetric,
adversarial) Wikipedia claims, and a sample of ClaimBuster's debate sentences, drawn to NEWS_PER_HEALTH times the
health sentences. Nothing of the dev sets (AVeriTeC, COVID-Fact) is read. Features as the runtime computes them
(the ONNX sentence embedding); a logistic regression (scikit-learn, L2, C = --c, classes weighing the same).
Written beside the weights: k-fold held-out accuracy and AUC of those sentences (the model that ships is then
fitted on all of them).
"""

import argparse
import gzip
import hashlib
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from factdesk.index.embed import load_embedder
from factdesk.index.verdict.domain import DOMAIN_FILE, ClaimDomain

HEALTH = {"healthver": ("premise", "hypothesis")}
NEWS = {
    "fnc1_test": ("hypothesis",),
    "emergent": ("premise", "hypothesis"),
    "liar_plus": ("hypothesis",),
    "wice": ("hypothesis",),
    "fever_symmetric": ("hypothesis",),
    "fever_adversarial": ("hypothesis",),
}
CLAIMBUSTER_SAMPLE = 2000
NEWS_PER_HEALTH = 3


def sentences(paths: list[Path], fields: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """The distinct texts of these sources' fields, by source, in file order."""
    found: dict[str, dict[str, None]] = {source: {} for source in fields}
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                pair = json.loads(line)
                for field in fields.get(pair["source"], ()):
                    found[pair["source"]][pair[field].strip()] = None
    return {source: list(texts) for source, texts in found.items()}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nli", type=Path, action="append", required=True, help="NLI pairs (JSONL.gz, repeatable)")
    parser.add_argument("--claimbuster", type=Path, required=True, help="ClaimBuster sentences (JSONL)")
    parser.add_argument("--out", type=Path, default=DOMAIN_FILE)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    health = [t for texts in sentences(args.nli, HEALTH).values() for t in texts]
    by_source = sentences(args.nli, NEWS)
    with args.claimbuster.open(encoding="utf-8") as f:
        debates = [json.loads(line)["text"] for line in f]
    by_source["claimbuster"] = rng.sample(debates, min(CLAIMBUSTER_SAMPLE, len(debates)))
    news = [t for texts in by_source.values() for t in texts]
    news = rng.sample(news, min(len(news), NEWS_PER_HEALTH * len(health)))
    texts = health + news
    y = np.array([1] * len(health) + [0] * len(news))
    x = load_embedder("onnx").embed(texts)

    def model() -> LogisticRegression:
        return LogisticRegression(C=args.c, max_iter=2000, class_weight="balanced")

    held = np.zeros(len(texts))
    for fit_on, test in StratifiedKFold(args.folds, shuffle=True, random_state=args.seed).split(x, y):
        held[test] = model().fit(x[fit_on], y[fit_on]).predict_proba(x[test])[:, 1]
    final = model().fit(x, y)
    about: dict[str, Any] = {
        "data": {
            "health": f"{len(health)} sentences of {', '.join(HEALTH)}",
            "news": f"{len(news)} sentences of {', '.join(by_source)} (sampled)",
            "files": {path.name: digest(path) for path in [*args.nli, args.claimbuster]},
        },
        "command": "python training/fit_domain.py "
        + " ".join(f"--nli {p}" for p in args.nli)
        + f" --claimbuster {args.claimbuster} --folds {args.folds} --c {args.c} --seed {args.seed}",
        "fitted": date.today().isoformat(),
        "held_out": {
            "folds": args.folds,
            "accuracy": round(float(accuracy_score(y, held >= 0.5)), 4),
            "auc": round(float(roc_auc_score(y, held)), 4),
        },
    }
    domain = ClaimDomain(final.coef_[0].astype(np.float32), float(final.intercept_[0]), about)
    args.out.write_text(json.dumps(domain.to_json(), indent=1) + "\n", encoding="utf-8")
    print(json.dumps(about, indent=1))


if __name__ == "__main__":
    main()
