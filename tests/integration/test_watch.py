"""Watched claims at the index level: matching on ingest, deliveries queued with the statements, kept on restart."""

import json
import threading
import time
from pathlib import Path

from factdesk.index.archive import Archive
from factdesk.index.embed import Embedder
from factdesk.index.ingest.articles import Article
from factdesk.index.storage.sqlite import Store
from factdesk.index.watch import new_watch

CLAIM = "M23 rebels have captured Goma"


def _watch(archive: Archive, claim: str, min_confidence: float | None = None) -> str:
    watch = new_watch(claim, "http://127.0.0.1:9/hook", min_confidence)
    archive.store.create_watch(watch)
    return watch.id


def test_ingest_queues_a_delivery_for_each_matching_statement(archive: Archive, seed_article: Article) -> None:
    watched = _watch(archive, CLAIM)
    elsewhere = _watch(archive, "The Eiffel Tower is in Paris")
    archive.ingest([seed_article])
    queued = archive.store.deliveries(watched)
    assert queued and all(d.status == "queued" and d.attempts == 0 for d in queued)
    assert archive.store.deliveries(elsewhere) == []
    body = json.loads(queued[-1].payload)
    assert body["watch_id"] == watched and body["claim"] == CLAIM
    assert body["stance"] == queued[-1].stance and body["stance"] in ("supports", "conflicts")
    assert body["scores"][body["stance"]] >= archive.min_confidence
    statement = archive.store.statements([body["statement"]["id"]])[body["statement"]["id"]]
    assert seed_article.text[body["statement"]["start"] : body["statement"]["end"]] == statement.text
    assert body["article"] == {
        "id": seed_article.resolved_id(),
        "url": seed_article.url,
        "publisher": seed_article.publisher,
        "published_at": seed_article.published_at,
        "title": seed_article.title,
    }
    texts = [json.loads(d.payload)["statement"]["text"] for d in queued]
    assert any("M23 rebels have captured Goma" in t for t in texts)
    # unchanged on a second ingest: nothing new to tell
    archive.ingest([seed_article])
    assert len(archive.store.deliveries(watched)) == len(queued)


def test_a_watch_level_above_every_score_matches_nothing(archive: Archive, seed_article: Article) -> None:
    strict = _watch(archive, CLAIM, min_confidence=1.0)
    lenient = _watch(archive, CLAIM, min_confidence=0.0)
    archive.ingest([seed_article])
    assert all(json.loads(d.payload)["scores"][d.stance] >= 1.0 for d in archive.store.deliveries(strict))
    assert len(archive.store.deliveries(lenient)) >= len(archive.store.deliveries(strict))
    assert archive.store.deliveries(lenient)


def test_conflicting_statement_is_delivered_as_conflicts(archive: Archive) -> None:
    watched = _watch(archive, "Nobody was injured in the shelling of Goma")
    archive.ingest([Article("The shelling of Goma injured about 15 civilians, a hospital said.", id="shelling")])
    stances = {d.stance for d in archive.store.deliveries(watched)}
    assert stances == {"conflicts"}


def test_deleted_watch_stops_matching_and_loses_its_deliveries(archive: Archive, seed_article: Article) -> None:
    watched = _watch(archive, CLAIM)
    archive.ingest([seed_article])
    assert archive.store.deliveries(watched)
    assert archive.store.delete_watch(watched)
    assert archive.store.deliveries(watched) == [] and archive.store.watch(watched) is None
    assert not archive.store.delete_watch(watched)
    archive.ingest([Article("M23 rebels have captured Goma, a witness said.", id="again")])
    with archive.store.transaction() as db:
        assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0


def test_deliveries_survive_a_restart_and_are_claimed_once(
    tmp_path: Path, embedder: Embedder, stance_classifier, seed_article: Article
) -> None:
    data = tmp_path / "data"
    first = Archive(data, embedder=embedder, stance=stance_classifier)
    watched = _watch(first, CLAIM)
    first.ingest([seed_article])
    queued = {d.id for d in first.store.deliveries(watched)}
    first.close()
    store = Store(data / "factdesk.sqlite3")  # what a restarted server finds
    try:
        assert {d.id for d in store.deliveries(watched) if d.status == "queued"} == queued
        now = time.time()
        claimed = store.claim_deliveries(now, lease=60, limit=100)
        assert {d.id for d, _ in claimed} == queued and all(w.id == watched for _, w in claimed)
        assert all(d.attempts == 1 for d, _ in claimed)
        assert store.claim_deliveries(now, lease=60, limit=100) == []  # a second worker gets none while leased
        first_id, second_id = sorted(queued)[:2] if len(queued) > 1 else (sorted(queued)[0], None)
        store.record_attempt(first_id, None, None)
        if second_id is not None:
            store.record_attempt(second_id, "HTTP 500", now + 1)
            again = store.claim_deliveries(now + 2, lease=60, limit=100)
            assert [d.id for d, _ in again] == [second_id] and again[0][0].attempts == 2
            store.record_attempt(second_id, "HTTP 500", None)
        statuses = {d.id: (d.status, d.last_error) for d in store.deliveries(watched)}
        assert statuses[first_id] == ("delivered", None)
        if second_id is not None:
            assert statuses[second_id] == ("failed", "HTTP 500")
    finally:
        store.close()


def test_two_senders_never_claim_one_delivery(archive: Archive) -> None:
    """Two server workers: each its own connection to the data directory, claiming at the same moment."""
    watched = _watch(archive, CLAIM)
    for i in range(20):
        archive.ingest([Article(f"M23 rebels have captured Goma, witness {i} said.", id=f"w{i}")])
    queued = {d.id for d in archive.store.deliveries(watched)}
    assert len(queued) >= 20
    workers = [Store(archive.store.path) for _ in range(2)]
    claims: list[list[int]] = [[], []]
    now = time.time()

    def claim(n: int) -> None:
        while batch := workers[n].claim_deliveries(now, lease=60, limit=3):
            claims[n] += [d.id for d, _ in batch]

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in workers:
        w.close()
    assert not set(claims[0]) & set(claims[1])
    assert set(claims[0]) | set(claims[1]) == queued
