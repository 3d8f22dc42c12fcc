"""Which FAISS index past the flat limit: recall@10 against exact search and ms per query, on sentence vectors.

    python benchmarks/ann.py --nli ../shared/data/nli/nli_pairs.jsonl.gz --covidfact ../shared/data/dev/covidfact \
        --sizes 50000,200000,1000000 [--vectors-cache vectors.npy] [--json OUT]

Base vectors are all-MiniLM-L6-v2 embeddings of every distinct premise, hypothesis and COVID-Fact sentence
(about 75k). Larger archives are made from them: each extra vector is a random mix of two real ones
(weights 0.5–0.9 / 0.5–0.1) plus a little noise, renormalised, so it stays on the sentence manifold.
Queries are 300 held-back real sentences; their exact top 10 over the archive is the truth.
"""

import argparse
import gzip
import json
import resource
import sys
import time
from pathlib import Path

import faiss
import numpy as np
from common import emit

from factdesk.index.embed import OnnxEmbedder
from factdesk.index.storage.vectors.faiss_index import MIN_PER_LIST, TRAIN_PER_LIST, ivf_lists, ivf_probes


def sentences(nli: Path, covidfact: Path) -> list[str]:
    texts = []
    with gzip.open(nli, "rt", encoding="utf-8") as f:
        for line in f:
            pair = json.loads(line)
            texts += [pair["premise"][:600], pair["hypothesis"][:600]]
    with (covidfact / "corpus.jsonl").open(encoding="utf-8") as f:
        texts += [json.loads(line)["text"] for line in f]
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def real_vectors(args: argparse.Namespace) -> np.ndarray:
    if args.vectors_cache and args.vectors_cache.exists():
        return np.load(args.vectors_cache)
    texts = sentences(args.nli, args.covidfact)
    encoder = OnnxEmbedder(batch_size=32)
    vectors = np.concatenate([encoder.embed(texts[i : i + 2048]) for i in range(0, len(texts), 2048)])
    if args.vectors_cache:
        np.save(args.vectors_cache, vectors)
    return vectors


def grow(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    if n <= len(base):
        return base[:n]
    extra = n - len(base)
    a, b = rng.integers(0, len(base), extra), rng.integers(0, len(base), extra)
    w = rng.uniform(0.5, 0.9, (extra, 1)).astype(np.float32)
    mixed = w * base[a] + (1 - w) * base[b] + 0.02 * rng.standard_normal((extra, base.shape[1]), dtype=np.float32)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    return np.concatenate([base, mixed])


def timed_search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    faiss.omp_set_num_threads(1)  # one query at a time, as a check does
    started = time.perf_counter()
    ids = np.concatenate([index.search(q[None], k)[1] for q in queries])
    return ids, (time.perf_counter() - started) / len(queries) * 1000


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def measure(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> dict[str, object]:
    n, d = vectors.shape
    ids = np.arange(n, dtype=np.int64)
    flat = faiss.IndexFlatIP(d)
    flat.add(vectors)
    truth, flat_ms = timed_search(flat, queries, k)
    row: dict[str, object] = {"n": n, "flat_ms": round(flat_ms, 2), "flat_mb": round(n * d * 4 / 2**20)}
    del flat
    nlist = ivf_lists(n)
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(n, min(n, TRAIN_PER_LIST * nlist), replace=False)]
    for name, kind in (("ivf_sq8", faiss.ScalarQuantizer.QT_8bit), ("ivf_fp16", faiss.ScalarQuantizer.QT_fp16)):
        ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(d), d, nlist, kind, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.min_points_per_centroid = MIN_PER_LIST // 2
        faiss.omp_set_num_threads(2)
        started = time.perf_counter()
        ivf.train(sample)
        ivf.add_with_ids(vectors, ids)
        build_s = time.perf_counter() - started
        for probes in sorted({ivf_probes(nlist) // 2, ivf_probes(nlist), ivf_probes(nlist) * 2}):
            ivf.nprobe = probes
            found, ms = timed_search(ivf, queries, k)
            row[f"{name}_probes{probes}"] = {"recall@10": round(recall(found, truth), 4), "ms": round(ms, 2)}
        row[f"{name}_lists"] = nlist
        row[f"{name}_build_s"] = round(build_s, 1)
        del ivf
    if n <= 300_000:  # HNSW builds slowly on 2 cores; it cannot delete vectors anyway (see index/vectors.py)
        hnsw = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        faiss.omp_set_num_threads(2)
        started = time.perf_counter()
        hnsw.add(vectors)
        row["hnsw_build_s"] = round(time.perf_counter() - started, 1)
        hnsw.hnsw.efSearch = 64
        found, ms = timed_search(hnsw, queries, k)
        row["hnsw_ef64"] = {"recall@10": round(recall(found, truth), 4), "ms": round(ms, 2)}
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nli", type=Path, required=True, help="nli_pairs.jsonl.gz")
    parser.add_argument("--covidfact", type=Path, required=True, help="COVID-Fact dev directory")
    parser.add_argument("--sizes", default="50000,200000,1000000", help="archive sizes, comma-separated")
    parser.add_argument("--vectors-cache", type=Path, help="reuse (or save) the encoded base vectors here")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    base = real_vectors(args)
    rng = np.random.default_rng(7)
    order = rng.permutation(len(base))
    queries, base = base[order[:300]], base[order[300:]]
    rows = [measure(grow(base, int(n), rng), queries) for n in args.sizes.split(",")]
    figures = {"base_sentences": len(base), "queries": len(queries), "sizes": rows}
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    emit(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
