"""The archive on the real encoders and stance model: ranking, queries embedded together, the encoder a data
directory keeps to, the verdict. Its storage, ids, deletion, recovery and several writers are unit tests on the
fakes (unit/test_archive_storage.py)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from factdesk.index.archive import Archive
from factdesk.index.embed import Embedder, identity
from factdesk.index.ingest.articles import Article
from factdesk.index.stance import CueStance
from factdesk.index.storage.encoder import EncoderMismatch, recorded_encoder


def test_hybrid_retrieval_finds_names_and_numbers(seeded: Archive) -> None:
    hits = seeded.retrieve("Rwivanga FDLR", 3)
    assert "Rwivanga" in hits[0].statement.text
    hits = seeded.retrieve("bombs in Mbugangari", 1)
    assert hits[0].statement.position == 4
    assert 0.0 < hits[0].similarity <= 1.0


def test_concurrent_queries_are_embedded_together_and_rank_as_alone(seeded: Archive) -> None:
    queries = ["bombs in Mbugangari", "Rwivanga FDLR", "M23 rebels have captured Goma", "Kagame ceasefire"] * 2
    alone = [[(e.statement.id, e.similarity) for e in seeded.retrieve(q, 5)] for q in queries]
    before = seeded.embed_queries.batches
    barrier = threading.Barrier(len(queries))

    def retrieve(q: str) -> list[tuple[int, float]]:
        barrier.wait()
        return [(e.statement.id, e.similarity) for e in seeded.retrieve(q, 5)]

    with ThreadPoolExecutor(len(queries)) as pool:
        together = list(pool.map(retrieve, queries))
    assert together == alone
    assert seeded.embed_queries.batches - before < len(queries)


def test_check_returns_sources_and_offsets(seeded: Archive, seed_article: Article) -> None:
    result = seeded.check("M23 rebels have captured Goma", top_k=3)
    top = result.evidence[0]
    assert top.statement.text.startswith("Meanwhile, M23 rebels have captured Goma")
    assert seed_article.text[top.statement.start : top.statement.end] == top.statement.text
    assert top.article.id == "294fb351d4f3dc25"
    assert len(result.evidence) == 3
    assert 0.0 <= result.confidence <= 1.0


class FailsAfter:
    """An encoder that stops working after `calls` calls, as a process killed half-way through would."""

    def __init__(self, embedder: Embedder, calls: int) -> None:
        self.embedder, self.calls = embedder, calls
        self.name, self.encoder, self.dimension = embedder.name, embedder.encoder, embedder.dimension

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls -= 1
        if self.calls < 0:
            raise RuntimeError("killed")
        return self.embedder.embed(texts)


def test_a_data_directory_keeps_to_the_encoder_of_its_vectors(
    tmp_path: Path, embedder: Embedder, torch_embedder: Embedder, seed_article: Article
) -> None:
    data = tmp_path / "data"
    archive = Archive(data, embedder=embedder, stance=CueStance())
    archive.ingest([seed_article])
    texts = {s.id: s.text for s in archive.article(seed_article.resolved_id())[1]}
    archive.close()
    assert recorded_encoder(data) == identity("onnx") == "all-MiniLM-L6-v2 (onnx-int8, 384-d)"
    with pytest.raises(EncoderMismatch, match=r"made by all-MiniLM-L6-v2 \(onnx-int8, 384-d\).*--encoder onnx"):
        Archive(data, embedder=torch_embedder, stance=CueStance())

    broken = Archive(data, embedder=FailsAfter(torch_embedder, 1), stance=CueStance(), check_encoder=False)
    with pytest.raises(RuntimeError, match="killed"):  # some statements re-embedded, then the process dies
        broken.reindex(chunk=8)
    broken.close()
    for e in (embedder, torch_embedder):  # neither encoder may use the mixed vectors
        with pytest.raises(EncoderMismatch, match=r"reindex to all-MiniLM-L6-v2 \(torch, 384-d\) did not finish"):
            Archive(data, embedder=e, stance=CueStance())

    reindexing = Archive(data, embedder=torch_embedder, stance=CueStance(), check_encoder=False)
    assert reindexing.reindex(chunk=8) == len(texts)
    reindexing.close()
    reopened = Archive(data, embedder=torch_embedder, stance=CueStance())
    assert recorded_encoder(data) == identity("torch") and reopened.stats()["vectors"] == len(texts)
    ids = sorted(texts)
    stored = reopened.vectors.reconstruct(ids)
    assert np.allclose(np.stack([stored[i] for i in ids]), torch_embedder.embed([texts[i] for i in ids]), atol=1e-6)
    assert "captured Goma" in reopened.retrieve("M23 rebels have captured Goma", 1)[0].statement.text
    reopened.close()


def test_a_common_name_does_not_push_out_the_statements_that_say_it(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name in many short statements (under the full-text search's frequency cut) and the query's other words
    in more (over it): the statements that say what the query says still come first, and hits come back in the
    order of the score they show."""
    import factdesk.index.storage.fulltext

    monkeypatch.setattr(factdesk.index.storage.fulltext, "FREQUENT", 50)  # the band of a real archive, at a test's size
    archive = Archive(tmp_path / "data", embedder=embedder, stance=CueStance())
    towns = ["Bukavu", "Sake", "Minova", "Uvira", "Beni", "Butembo"]
    things = ["roads", "schools", "markets", "clinics", "banks"]
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    articles = [
        Article(text=f"In Goma, {things[i % 5]} closed on {days[i % 7]}, police said.", id=f"short-{i}")
        for i in range(40)
    ]
    articles += [
        Article(
            text=f"Officials said {i + 3} trucks of supplies arrived in {towns[i % 6]} during report {i}.", id=f"t-{i}"
        )
        for i in range(60)
    ]
    saying = [f"Aid workers said {n} trucks of supplies arrived in Goma during report {n}." for n in (12, 30, 41)]
    articles += [Article(text=t, id=f"goma-{i}") for i, t in enumerate(saying)]
    archive.ingest(articles)
    hits = archive.retrieve("trucks of supplies arrived in Goma", 5)
    assert {h.text for h in hits[:3]} == set(saying), [h.text for h in hits]
    assert [h.relevance for h in hits] == sorted((h.relevance for h in hits), reverse=True)
    archive.close()


def test_the_verdict_does_not_depend_on_top_k(seeded: Archive) -> None:
    for claim in ("Rwanda ordered schools and businesses in Rubavu to close", "The bombs landed in Goma"):
        results = {k: seeded.check(claim, top_k=k) for k in (1, 3, 5, 20)}
        first = results[5]
        for k, r in results.items():
            assert (r.verdict, r.confidence, r.probabilities, r.leaning) == (
                first.verdict,
                first.confidence,
                first.probabilities,
                first.leaning,
            ), k
            assert r.supporting_publishers == first.supporting_publishers
            assert len(r.evidence) == min(k, len(results[20].evidence))
            assert set(r.probabilities) == {"supported", "refuted", "conflicting", "not_enough_evidence"}
        # fewer items are the most relevant of the same pool
        assert [e.statement.id for e in results[1].evidence] == [first.evidence[0].statement.id]
