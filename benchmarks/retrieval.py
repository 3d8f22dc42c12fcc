"""Retrieval ablation on COVID-Fact: recall@k of the gold evidence for dense, BM25 and fused rankings.

    python benchmarks/retrieval.py --data ../shared/data/dev/covidfact [--work DIR]

With `--work DIR` the ingested archive is kept there and reused by later runs.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.archive import RRF_K, Archive, Article
from index.stance import CueStance


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
    corpus = [json.loads(line) for line in (args.data / "corpus.jsonl").open(encoding="utf-8")]
    claims = [json.loads(line) for line in (args.data / "claims.jsonl").open(encoding="utf-8")]

    archive = Archive(work, stance=CueStance())
    if archive.stats()["articles"] < len(corpus):
        articles = [Article(text=c["text"], id=c["id"], publisher=c.get("source")) for c in corpus]
        for i in tqdm(range(0, len(articles), 256), desc="ingest"):
            archive.ingest(articles[i : i + 256], save=False)
        archive.save()
    article_of = {}
    for sid, s in archive.store.statements(archive.store.statement_ids()).items():
        article_of[sid] = s.article_id
    qvecs = archive.embedder.embed([c["claim"] for c in claims])
    _, dense_ids = archive.vectors.search(qvecs, 100)

    variants: dict[str, list[list[int]]] = {"dense": [], "bm25": [], "rrf": [], "rrf_dense2": []}
    for c, dense in zip(tqdm(claims, desc="rank"), dense_ids, strict=True):
        d = [int(i) for i in dense if i >= 0]
        b = [sid for sid, _ in archive.store.lexical_search(c["claim"], 100)]
        variants["dense"].append(d)
        variants["bm25"].append(b)
        variants["rrf"].append(fuse([d, b], [1.0, 1.0]))
        variants["rrf_dense2"].append(fuse([d, b], [2.0, 1.0]))
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
