"""One test suite for every vector backend: FAISS (embedded default) and Milvus (here Milvus Lite)."""

from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np
import pytest

from factdesk.index.archive import Archive
from factdesk.index.errors import Conflict, InvalidInput
from factdesk.index.stance import CueStance
from factdesk.index.storage.vectors import FaissVectors, VectorBackend, open_vectors
from factdesk.index.storage.vectors.milvus import parse_uri

DIM = 384


def spec_for(kind: str, tmp_path: Path) -> str | None:
    return None if kind == "faiss" else f"milvus://{tmp_path}/milvus.db"


@pytest.fixture(params=["faiss", "milvus"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str | None, Path]]:
    yield spec_for(request.param, tmp_path), tmp_path


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_add_search_remove_reconstruct_persist(backend: tuple[str | None, Path]) -> None:
    spec, data = backend
    vectors: VectorBackend = open_vectors(spec, data, DIM)
    assert len(vectors) == 0 and vectors.ids() == set()
    assert vectors.kind == ("flat" if spec is None else "milvus (factdesk_statements)")
    _, empty_ids = vectors.search(unit_vectors(1), 5)
    assert empty_ids.shape == (1, 0)

    base = unit_vectors(50)
    ids = np.arange(100, 150, dtype=np.int64)
    vectors.add(ids, base)
    assert len(vectors) == 50 and vectors.ids() == set(ids.tolist())
    scores, found = vectors.search(base[[3, 7]], 5)
    assert found.shape == (2, 5) and found[0, 0] == 103 and found[1, 0] == 107
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-4) and (np.diff(scores[0]) <= 1e-6).all()
    assert vectors.search(base[:1], 500)[1].shape == (1, 50)  # k beyond the size: everything

    vectors.remove([103, 104, 999])
    assert len(vectors) == 48 and 103 not in vectors.ids()
    assert vectors.search(base[[3]], 3)[1][0, 0] != 103
    restored = vectors.reconstruct([105, 103])
    assert set(restored) == {105} and float(restored[105] @ base[5]) == pytest.approx(1.0, abs=1e-4)

    vectors.add(np.array([105], dtype=np.int64), base[[6]])  # a new vector for an id replaces the old one
    assert len(vectors) == 48 and float(vectors.reconstruct([105])[105] @ base[6]) == pytest.approx(1.0, abs=1e-4)

    vectors.save()
    reopened = open_vectors(spec, data, DIM)
    assert reopened.ids() == vectors.ids() and reopened.search(base[[9]], 1)[1][0, 0] == 109
    with pytest.raises(Conflict, match="expected 8"):
        open_vectors(spec, data, 8)


def test_one_query_searches_on_one_thread_as_many_would(tmp_path: Path) -> None:
    vectors = FaissVectors(tmp_path / "vectors.faiss", DIM)
    base = unit_vectors(200, seed=4)
    vectors.add(np.arange(200, dtype=np.int64), base)
    threads = faiss.omp_get_max_threads()
    together = vectors.search(base[:4], 10)
    for row in range(4):
        alone = vectors.search(base[[row]], 10)
        assert np.array_equal(alone[1][0], together[1][row]) and np.allclose(alone[0][0], together[0][row])
    assert faiss.omp_get_max_threads() == threads  # the thread's OpenMP setting is given back


def test_archive_runs_on_each_backend(backend: tuple[str | None, Path], embedder, torch_embedder, seed_article) -> None:
    spec, data = backend
    archive = Archive(data / "data", embedder=embedder, stance=CueStance(), vectors=spec)
    archive.ingest([seed_article])
    stats = archive.stats()
    assert stats["statements"] == stats["vectors"] == 18
    result = archive.check("M23 rebels have captured Goma")
    assert result.verdict == "supported" and result.evidence[0].statement.text.startswith("Meanwhile, M23")
    archive.close()

    archive = Archive(data / "data", embedder=torch_embedder, stance=CueStance(), vectors=spec, check_encoder=False)
    assert archive.reindex(chunk=5) == 18 and archive.stats()["vectors"] == 18
    result = archive.check("M23 rebels have captured Goma")
    assert result.verdict == "supported" and result.evidence[0].statement.text.startswith("Meanwhile, M23")
    archive.delete(seed_article.resolved_id())
    assert archive.stats()["vectors"] == 0
    archive.close()


def test_milvus_addresses() -> None:
    assert parse_uri("milvus:///srv/f/milvus.db") == ("/srv/f/milvus.db", "factdesk_statements", None)
    assert parse_uri("milvus://rel/m.db?collection=news") == ("rel/m.db", "news", None)
    assert parse_uri("http://milvus:19530?token=u:p") == ("http://milvus:19530", "factdesk_statements", "u:p")
    for bad in ("milvus:///srv/f/milvus", "ftp://x", "http://"):
        with pytest.raises(InvalidInput):
            parse_uri(bad)


def test_index_type_follows_size_and_approximate_recall_matches_exact(
    tmp_path: Path, sentence_vectors: np.ndarray
) -> None:
    queries, base = sentence_vectors[:200], sentence_vectors[200:]
    ids = np.arange(10_000, 10_000 + len(base), dtype=np.int64)
    path = tmp_path / "vectors.faiss"
    vectors = FaissVectors(path, DIM, flat_limit=1_000, mmap_bytes=0)
    vectors.add(ids[:900], base[:900])
    vectors.save()
    assert vectors.kind == "flat"
    vectors.add(ids[900:], base[900:])
    assert vectors.kind == "flat"  # the type changes when the index is saved
    vectors.save()
    assert vectors.kind == "ivf-fp16 (lists 128, probes 64)" and len(vectors) == len(base)

    exact = faiss.IndexFlatIP(DIM)
    exact.add(base)
    truth = ids[exact.search(queries, 10)[1]]
    found = np.concatenate([vectors.search(q[None], 10)[1] for q in queries])
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.98, f"recall@10 {recall:.4f}"

    # the upgrade replaced the file; reopened, the index is memory-mapped and answers the same
    assert not list(tmp_path.glob("*.tmp"))
    mapped = FaissVectors(path, DIM, flat_limit=1_000, mmap_bytes=0)
    assert mapped.mapped and mapped.kind == vectors.kind and mapped.ids() == set(ids.tolist())
    assert (np.concatenate([mapped.search(q[None], 10)[1] for q in queries]) == found).all()

    # writing to a mapped index: it moves into memory first; upsert, delete, reconstruct, save
    mapped.remove(ids[:10].tolist())
    mapped.add(ids[10:11], base[[20]])
    assert not mapped.mapped and len(mapped) == len(base) - 10 and not set(ids[:10].tolist()) & mapped.ids()
    assert float(mapped.reconstruct([int(ids[10])])[int(ids[10])] @ base[20]) > 0.999  # fp16 codes
    mapped.save()
    assert FaissVectors(path, DIM, flat_limit=1_000, mmap_bytes=0).ids() == mapped.ids()

    # shrunk under half the limit: back to exact search
    mapped.remove(ids[400:].tolist())
    mapped.save()
    assert mapped.kind == "flat" and mapped.ids() == set(ids[10:400].tolist())
    assert mapped.search(base[[300]], 1)[1][0, 0] == ids[300]
