"""The archive's storage, ids, deletion, invalid input, recovery after a crash, several processes on one data
directory and check_many's order: none of it is about the model, so these run on the fakes (hashed-word vectors,
the cue stance). The tests of ranking and of the encoders themselves are in integration/test_archive.py."""

from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np
import pytest
from fakes import WordEmbedder

from factdesk.index.archive import Archive
from factdesk.index.embed import Embedder, identity
from factdesk.index.ingest.articles import Article, InvalidArticle
from factdesk.index.stance import CueStance
from factdesk.index.storage.encoder import EncoderMismatch, recorded_encoder


def test_ingest_is_idempotent_and_replaces_changed_text(fake_archive: Archive, seed_article: Article) -> None:
    archive = fake_archive
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


def test_ids_derive_from_url_then_text() -> None:
    a = Article(text="One sentence here.", url="https://example.org/a")
    b = Article(text="Another text entirely.", url="https://example.org/a")
    assert a.resolved_id() == b.resolved_id()
    assert Article(text="x y z.").resolved_id() != Article(text="x y z!").resolved_id()


def test_delete_removes_statements_and_vectors(fake_seeded: Archive) -> None:
    seeded = fake_seeded
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
def test_invalid_articles_write_nothing(fake_archive: Archive, article: Article, message: str) -> None:
    with pytest.raises(InvalidArticle, match=message):
        fake_archive.ingest([Article(text="A valid article."), article])
    assert fake_archive.stats()["articles"] == 0


def test_reconcile_after_a_crash_between_store_and_index(
    tmp_path: Path, fake_embedder: Embedder, seed_article: Article
) -> None:
    embedder = fake_embedder
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


def test_a_second_process_sees_new_vectors(tmp_path: Path, fake_embedder: Embedder, seed_article: Article) -> None:
    embedder = fake_embedder
    writer = Archive(tmp_path / "shared", embedder=embedder, stance=CueStance())
    reader = Archive(tmp_path / "shared", embedder=embedder, stance=CueStance())  # e.g. another server worker
    writer.ingest([seed_article])
    assert reader.stats()["vectors"] == 18
    assert reader.retrieve("M23 rebels have captured Goma", 1)[0].statement.position == 9
    writer.delete(seed_article.id or "")
    assert reader.retrieve("M23 rebels have captured Goma", 1) == []


def test_two_writers_on_one_data_directory_keep_each_others_vectors(tmp_path: Path, fake_embedder: Embedder) -> None:
    # two server workers (or a worker and the CLI): each loads the other's saved vectors before writing
    embedder = fake_embedder
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


def test_check_many_keeps_order_and_reads_only_a_few_claims_ahead(fake_seeded: Archive) -> None:
    seeded = fake_seeded
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


def test_a_data_directory_refuses_another_encoder_until_it_is_reindexed(
    tmp_path: Path, fake_embedder: Embedder, seed_article: Article
) -> None:
    """The bookkeeping of integration/test_archive.py's encoder test (onnx and torch), on two fakes."""
    other = WordEmbedder()
    other.encoder = "fake-2"
    data = tmp_path / "data"
    archive = Archive(data, embedder=fake_embedder, stance=CueStance())
    archive.ingest([seed_article])
    archive.close()
    assert recorded_encoder(data) == identity(fake_embedder) == "hashed-words (fake, 384-d)"
    with pytest.raises(EncoderMismatch, match=r"made by hashed-words \(fake, 384-d\)"):
        Archive(data, embedder=other, stance=CueStance())

    reindexing = Archive(data, embedder=other, stance=CueStance(), check_encoder=False)
    assert reindexing.reindex(chunk=5) == 18
    reindexing.close()
    assert recorded_encoder(data) == identity(other)
    with pytest.raises(EncoderMismatch, match=r"made by hashed-words \(fake-2, 384-d\)"):
        Archive(data, embedder=fake_embedder, stance=CueStance())
    reopened = Archive(data, embedder=other, stance=CueStance())
    assert reopened.stats()["vectors"] == 18 and reopened.reconciled == {"added": 0, "removed": 0}
    reopened.close()
