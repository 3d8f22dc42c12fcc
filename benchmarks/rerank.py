"""Retrieval + stance-model rerank ablation on COVID-Fact: recall@5 of the gold evidence per variant.

    python benchmarks/rerank.py --data ../shared/data/dev/covidfact --work /tmp/cf-archive [--limit 2000]

For each claim: dense (FAISS) and BM25 (FTS5) top 100, fused by reciprocal rank or by score
(cosine + α · BM25 / best BM25 of the query); the first `pool` fused candidates are reranked by
cosine + w · (1 − P(neutral)) from the stance model, as `Archive.check` does, and the top 5 are scored.
Model scores are computed once per (claim, statement) and shared by all variants.
"""

import argparse
import json
import random
import tempfile
from pathlib import Path

import numpy as np
from common import covidfact_archive
from tqdm import tqdm

from factdesk.index.stance.model import StanceModel

ALPHAS = (0.3, 0.5, 0.8, 1.2)
POOLS = (5, 8, 10, 15, 20, 30)
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)

RRF_K = 60  # reciprocal rank fusion, the baseline the archive used before score fusion


def rrf(rankings: list[list[int]]) -> list[int]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, sid in enumerate(ranking):
            scores[sid] = scores.get(sid, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores, key=lambda s: scores[s], reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--work", type=Path, help="keep the ingested archive here (shared with retrieval.py)")
    parser.add_argument("--limit", type=int, help="a seeded sample of N claims")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp())
    archive, _, claims = covidfact_archive(args.data, work)
    if args.limit:
        claims = random.Random(7).sample(claims, min(args.limit, len(claims)))
    statements = archive.store.statements(sorted(archive.store.statement_ids()))
    model = StanceModel()

    qvecs = archive.embedder.embed([c["claim"] for c in claims])
    dense_scores, dense_ids = archive.vectors.search(qvecs, 100)
    found: dict[str, list[bool]] = {}
    for c, dscores, dids, qvec in zip(tqdm(claims, desc="claims"), dense_scores, dense_ids, qvecs, strict=True):
        dense = [int(i) for i in dids if i >= 0]
        lexical = archive.store.lexical_search(c["claim"], 100)
        cosine = {int(i): float(s) for i, s in zip(dids, dscores, strict=True) if i >= 0}
        missing = [sid for sid, _ in lexical if sid not in cosine]
        cosine |= {sid: float(v @ qvec) for sid, v in archive.vectors.reconstruct(missing).items()}
        top = max((s for _, s in lexical), default=1.0) or 1.0
        bm25 = {sid: s / top for sid, s in lexical}
        fusions = {"rrf": rrf([dense, [sid for sid, _ in lexical]])}
        for alpha in ALPHAS:
            fusions[f"lin{alpha}"] = sorted(
                cosine, key=lambda s, a=alpha: cosine[s] + a * bm25.get(s, 0.0), reverse=True
            )
        candidates = sorted({sid for ranking in fusions.values() for sid in ranking[: max(POOLS)]})
        probs = model.predict([(statements[sid].text, c["claim"]) for sid in candidates])
        related = {sid: 1.0 - float(p[1]) for sid, p in zip(candidates, probs, strict=True)}
        gold = set(c["evidence_ids"])
        for name, ranking in fusions.items():
            found.setdefault(f"{name}/none", []).append(any(statements[s].article_id in gold for s in ranking[:5]))
            alpha = float(name[3:]) if name.startswith("lin") else 0.0
            for pool in POOLS:
                for w in WEIGHTS:
                    by_cosine = sorted(
                        ranking[:pool], key=lambda s, w=w: cosine.get(s, 0.0) + w * related[s], reverse=True
                    )
                    found.setdefault(f"{name}/pool{pool}/w{w}", []).append(
                        any(statements[s].article_id in gold for s in by_cosine[:5])
                    )
                    if alpha:  # rerank by the fused score itself plus the model's relatedness
                        by_fused = sorted(
                            ranking[:pool],
                            key=lambda s, a=alpha, w=w: cosine[s] + a * bm25.get(s, 0.0) + w * related[s],
                            reverse=True,
                        )
                        found.setdefault(f"{name}/fused/pool{pool}/w{w}", []).append(
                            any(statements[s].article_id in gold for s in by_fused[:5])
                        )
    report = {name: round(float(np.mean(hits)), 4) for name, hits in found.items()}
    best = sorted(report.items(), key=lambda kv: kv[1], reverse=True)[:10]
    print(json.dumps({"claims": len(claims), "best": best, "all": report}, indent=2))


if __name__ == "__main__":
    main()
