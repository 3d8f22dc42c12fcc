"""Crash safety: SIGKILL the server in the middle of a large ingest, and `factdesk ingest` in the middle of a file.

Acknowledged writes must survive, nothing may be half-indexed, and the store and the vector index must agree.
"""

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from serving import ROOT, launch, stop

from factdesk.index.ingest.segment import split_article
from factdesk.index.storage.sqlite import Store
from factdesk.index.storage.vectors import FaissVectors

pytestmark = pytest.mark.slow


def town_article(i: int) -> dict[str, str]:
    """A small news article whose town name (`Town{i}x`) occurs nowhere else."""
    town = f"Town{i}x"
    text = (
        f"The council of {town} approved a budget of {100 + 37 * i} million francs on Monday. "
        f"Officials in {town} said the money would repair {2 + i % 9} bridges and a hospital. "
        f'"We have waited too long," said the mayor of {town}, Jean Mugabo. '
        f"Opposition members accused the council of hiding the true cost of the works. "
        f"According to the finance office, the works should start in {['March', 'June', 'October'][i % 3]}. "
        f"Residents of {town} said they had waited years for the repairs."
    )
    return {"id": f"town-{i}", "text": text, "publisher": "Test Wire", "published_at": "2025-02-01"}


def assert_consistent(data: Path) -> tuple[int, int]:
    """Store and index agree, and every stored article has exactly the statements its text splits into."""
    store = Store(data / "factdesk.sqlite3")
    try:
        vectors = FaissVectors(data / "vectors.faiss", 384)
        assert store.statement_ids() == vectors.ids()
        db = sqlite3.connect(data / "factdesk.sqlite3")
        rows = db.execute(
            "SELECT a.id, a.text, COUNT(s.id) FROM articles a LEFT JOIN statements s ON s.article_id = a.id "
            "GROUP BY a.id"
        ).fetchall()
        duplicates = db.execute(
            "SELECT article_id, position FROM statements GROUP BY article_id, position HAVING COUNT(*) > 1"
        ).fetchall()
        db.close()
        assert not duplicates
        for article_id, text, n in rows:
            assert n == len(split_article(text)), f"{article_id} is half-indexed: {n} statements"
        return len(rows), len(vectors)
    finally:
        store.close()


def test_server_killed_mid_ingest_keeps_every_acknowledged_article(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process, url = launch(data, "--stance", "cues")
    acknowledged: dict[str, int] = {}
    failed: list[str] = []
    lock = threading.Lock()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            for start in range(worker * 10, 3000, 40):  # batches of 10, four writers, far more than will finish
                batch = [town_article(i) for i in range(start, start + 10)]
                try:
                    r = client.post("/v1/articles", json={"articles": batch})
                except httpx.HTTPError as e:
                    failed.append(type(e).__name__)
                    return
                assert r.status_code == 201, r.text
                with lock:
                    acknowledged.update({a["id"]: a["statements"] for a in r.json()["articles"]})

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 300
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    for t in threads:
        t.join(timeout=60)
    assert len(acknowledged) >= 60 and failed, "the kill must land while writes are in flight"

    process, url = launch(data, "--stance", "cues")
    try:
        health = httpx.get(f"{url}/health").json()
        assert health["statements"] == health["vectors"]
        assert health["articles"] >= len(acknowledged) + 1  # + the seed article
        with httpx.Client(base_url=url, timeout=60) as client:
            for article_id, n in sorted(acknowledged.items()):
                stored = client.get(f"/v1/articles/{article_id}")
                assert stored.status_code == 200 and len(stored.json()["statements"]) == n
                i = int(article_id.split("-")[1])
                hits = client.get("/v1/search", params={"q": f"budget of Town{i}x", "k": 10}).json()["hits"]
                assert article_id in {h["article"]["id"] for h in hits}
    finally:
        stop(process)
    articles, _ = assert_consistent(data)
    assert articles == health["articles"]


def test_cli_ingest_killed_mid_file_completes_on_rerun(tmp_path: Path) -> None:
    data, source = tmp_path / "data", tmp_path / "towns.jsonl"
    source.write_text("".join(json.dumps(town_article(i)) + "\n" for i in range(400)), encoding="utf-8")
    command = [sys.executable, "-m", "factdesk.service.cli", "--data-dir", str(data), "--quiet", "--stance", "cues"]
    command += ["ingest", str(source), "--batch-size", "8"]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    database = data / "factdesk.sqlite3"
    deadline = time.monotonic() + 300
    written = 0
    while written < 40 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        if database.exists():
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
                try:
                    written = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
                except sqlite3.OperationalError:  # schema not created yet
                    continue
    process.kill()
    process.wait(timeout=30)
    assert 40 <= written < 400, f"killed after {written} articles"

    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "ingested 400 articles" in rerun.stderr and "unchanged" in rerun.stderr
    assert assert_consistent(data) == (400, sum(len(split_article(town_article(i)["text"])) for i in range(400)))
