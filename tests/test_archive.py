import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import faiss
import numpy as np
import pytest

from factdesk.index.archive import Archive
from factdesk.index.embed import Embedder, identity
from factdesk.index.ingest.articles import Article, InvalidArticle
from factdesk.index.stance import CueStance
from factdesk.index.storage.encoder import EncoderMismatch, recorded_encoder


def test_ingest_is_idempotent_and_replaces_changed_text(archive: Archive, seed_article: Article) -> None:
    (first,) = archive.ingest([seed_article])
    assert (first.id, first.status, first.statements) == ("294fb351d4f3dc25", "created", 18)
    (again,) = archive.ingest([seed_article])
    assert again.status == "unchanged"
    assert archive.stats() | {"publishers": 0} == {
        "articles": 1,
        "statements": 18,
        "vectors": 18,
        "publishers": 0,
        "fact_checks": 0,
    }

    old_ids = {s.id for s in archive.store.statements_of(first.id)}
    changed = Article(text="M23 rebels withdrew from Goma. Calm returned.", id=first.id)
    (replaced,) = archive.ingest([changed])
    assert (replaced.status, replaced.statements) == ("replaced", 2)
    new_ids = {s.id for s in archive.store.statements_of(first.id)}
    assert not old_ids & new_ids
    assert archive.vectors.ids() == new_ids
    assert archive.store.lexical_search("Kagame ceasefire", 5) == []

    meta = Article(text=changed.text, id=first.id, publisher="The Example Times")
    assert archive.ingest([meta])[0].status == "updated"
    assert archive.store.article(first.id).publisher == "The Example Times"  # type: ignore[union-attr]


def test_ids_derive_from_url_then_text(archive: Archive) -> None:
    a = Article(text="One sentence here.", url="https://example.org/a")
    b = Article(text="Another text entirely.", url="https://example.org/a")
    assert a.resolved_id() == b.resolved_id()
    assert Article(text="x y z.").resolved_id() != Article(text="x y z!").resolved_id()


def test_delete_removes_statements_and_vectors(seeded: Archive) -> None:
    assert seeded.delete("294fb351d4f3dc25")
    assert seeded.stats() == {"articles": 0, "statements": 0, "publishers": 0, "vectors": 0, "fact_checks": 0}
    assert seeded.retrieve("M23 captured Goma", 5) == []
    assert not seeded.delete("294fb351d4f3dc25")


@pytest.mark.parametrize(
    "article, message",
    [
        (Article(text="   "), "empty"),
        (Article(text="ok.", id="bad id!"), "article id"),
        (Article(text="ok.", published_at="last week"), "ISO 8601"),
    ],
)
def test_invalid_articles_write_nothing(archive: Archive, article: Article, message: str) -> None:
    with pytest.raises(InvalidArticle, match=message):
        archive.ingest([Article(text="A valid article."), article])
    assert archive.stats()["articles"] == 0


def test_reconcile_after_a_crash_between_store_and_index(
    tmp_path: Path, embedder: Embedder, seed_article: Article
) -> None:
    data = tmp_path / "data"
    archive = Archive(data, embedder=embedder, stance=CueStance())
    archive.ingest([seed_article])
    ids = sorted(archive.vectors.ids())
    # crash after the SQLite commit, before the vectors were saved: the index on disk lacks 5 vectors
    # and still holds one whose statement is gone
    archive.vectors.remove(ids[:5])
    archive.vectors.add(np.array([999_999]), np.ones((1, 384), dtype=np.float32) / np.sqrt(384))
    archive.save()
    archive.close()
    assert faiss.read_index(str(data / "vectors.faiss")).ntotal == 14

    reopened = Archive(data, embedder=embedder, stance=CueStance())
    assert reopened.reconciled == {"added": 5, "removed": 1}
    assert reopened.vectors.ids() == set(ids)
    top = reopened.retrieve("Kagame urged an immediate ceasefire in eastern DRC", 1)[0]
    assert top.statement.id == ids[0]
    restored = reopened.vectors.reconstruct([ids[0]])[ids[0]]
    assert float(restored @ embedder.embed([top.statement.text])[0]) > 0.999


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


def test_a_second_process_sees_new_vectors(tmp_path: Path, embedder: Embedder, seed_article: Article) -> None:
    writer = Archive(tmp_path / "shared", embedder=embedder, stance=CueStance())
    reader = Archive(tmp_path / "shared", embedder=embedder, stance=CueStance())  # e.g. another server worker
    writer.ingest([seed_article])
    assert reader.stats()["vectors"] == 18
    assert reader.retrieve("M23 rebels have captured Goma", 1)[0].statement.position == 9
    writer.delete(seed_article.id or "")
    assert reader.retrieve("M23 rebels have captured Goma", 1) == []


def test_two_writers_on_one_data_directory_keep_each_others_vectors(tmp_path: Path, embedder: Embedder) -> None:
    # two server workers (or a worker and the CLI): each loads the other's saved vectors before writing
    data = tmp_path / "data"
    first = Archive(data, embedder=embedder, stance=CueStance())
    second = Archive(data, embedder=embedder, stance=CueStance())
    texts = {
        "a": "The port of Mombasa handled 40 ships on Tuesday.",
        "b": "Heavy rain closed the road between Kigali and Musanze.",
        "c": "The central bank kept its rate at 7 percent.",
    }
    # save=False: the vector file is not due yet (a large index); the writes are in SQLite
    first.ingest([Article(texts["a"], id="a")], save=False)
    second.ingest([Article(texts["b"], id="b")], save=False)
    first.ingest([Article(texts["c"], id="c")], save=False)
    assert first.unsaved == 2 and second.unsaved == 1
    first.save()
    second.delete("a")  # loads the first writer's file, keeps its own unsaved "b" on top
    second.save()
    assert second.retrieve(texts["c"], 1)[0].statement.article_id == "c"
    assert first.retrieve(texts["b"], 1)[0].statement.article_id == "b"  # sees the second writer's save
    first.close()
    second.close()

    reopened = Archive(data, embedder=embedder, stance=CueStance())
    assert reopened.reconciled == {"added": 0, "removed": 0}  # the saved file already agrees with the store
    assert reopened.stats()["statements"] == reopened.stats()["vectors"] == 2
    reopened.close()


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


def test_check_many_keeps_order_and_reads_only_a_few_claims_ahead(seeded: Archive) -> None:
    claims = [
        "M23 rebels have captured Goma",
        "The Eiffel Tower is in Paris",
        "About 50 civilians were injured when two bombs landed in Mbugangari",
        "Kagame called for an immediate ceasefire in eastern DRC",
        "Goma was captured by M23 rebels",
    ]
    pulled = []

    def source() -> Iterator[str]:
        for claim in claims:
            pulled.append(claim)
            yield claim

    results = seeded.check_many(source(), top_k=2, at_once=2)
    first = next(results)
    assert len(pulled) == 2  # a file of any size streams
    alone = [seeded.check(c, top_k=2) for c in claims]
    together = [first, *results]
    assert [r.claim for r in together] == claims
    assert [(r.verdict, r.confidence, [e.statement.id for e in r.evidence]) for r in together] == [
        (r.verdict, r.confidence, [e.statement.id for e in r.evidence]) for r in alone
    ]


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
