"""Retrieval ablation on COVID-Fact: recall@k of the gold evidence for dense, BM25 and fused rankings.

    python benchmarks/retrieval.py --data ../shared/data/dev/covidfact [--work DIR]

With `--work DIR` the ingested archive is kept there and reused by later runs.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from common import covidfact_archive
from tqdm import tqdm

RRF_K = 60  # reciprocal rank fusion, the baseline the archive used before score fusion


def fuse(rankings: list[list[int]], weights: list[float]) -> list[int]:
    scores: dict[int, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, sid in enumerate(ranking):
            scores[sid] = scores.get(sid, 0.0) + w / (RRF_K + rank + 1)
    return sorted(scores, key=lambda s: scores[s], reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--work", type=Path, help="keep the ingested archive here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp())
    archive, _, claims = covidfact_archive(args.data, work)
    article_of = {}
    for sid, s in archive.store.statements(archive.store.statement_ids()).items():
        article_of[sid] = s.article_id
    qvecs = archive.embedder.embed([c["claim"] for c in claims])
    _, dense_ids = archive.vectors.search(qvecs, 100)

    dense_scores, _ = archive.vectors.search(qvecs, 100)
    variants: dict[str, list[list[int]]] = {"dense": [], "bm25": [], "rrf": [], "rrf_dense2": []}
    for alpha in (0.1, 0.2, 0.3):
        variants[f"linear_{alpha}"] = []
    for c, dense, dscores, qvec in zip(tqdm(claims, desc="rank"), dense_ids, dense_scores, qvecs, strict=True):
        d = [int(i) for i in dense if i >= 0]
        lexical = archive.store.lexical_search(c["claim"], 100)
        b = [sid for sid, _ in lexical]
        variants["dense"].append(d)
        variants["bm25"].append(b)
        variants["rrf"].append(fuse([d, b], [1.0, 1.0]))
        variants["rrf_dense2"].append(fuse([d, b], [2.0, 1.0]))
        # score fusion: cosine + alpha * BM25 scaled to [0, 1] by the best hit of the query
        cosine = {int(i): float(s) for i, s in zip(dense, dscores, strict=True) if i >= 0}
        missing = [sid for sid in b if sid not in cosine]
        cosine |= {sid: float(v @ qvec) for sid, v in archive.vectors.reconstruct(missing).items()}
        top = max((score for _, score in lexical), default=1.0) or 1.0
        bm25 = {sid: score / top for sid, score in lexical}
        for alpha in (0.1, 0.2, 0.3):
            variants[f"linear_{alpha}"].append(
                sorted(cosine, key=lambda sid: cosine[sid] + alpha * bm25.get(sid, 0.0), reverse=True)
            )
    report = {}
    for name, rankings in variants.items():
        for k in (1, 5, 10, 20):
            hits = [
                any(article_of[s] in set(c["evidence_ids"]) for s in ranking[:k])
                for c, ranking in zip(claims, rankings, strict=True)
            ]
            report[f"{name}@{k}"] = round(float(np.mean(hits)), 4)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
