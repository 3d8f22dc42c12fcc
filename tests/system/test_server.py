"""`factdesk serve` as a real process on a free port, seeded on first start, answering over HTTP."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serving import launch, stop

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = launch(tmp_path_factory.mktemp("served"))
    yield url
    assert "Application shutdown complete" in stop(process)


def test_fresh_server_serves_the_seeds(server: str) -> None:
    health = httpx.get(f"{server}/health").json()
    assert health["articles"] == 1 and health["statements"] == health["vectors"] == 18
    result = httpx.post(f"{server}/v1/check", json={"claim": "M23 rebels have captured Goma"}).json()
    assert result["verdict"] == "supported"
    top = result["evidence"][0]
    assert (top["start"], top["end"]) == (1465, 1575)
    r = httpx.post(f"{server}/v1/check", json={"claim": "The Eiffel Tower is in Paris"})
    assert r.json()["verdict"] == "not_enough_evidence"


def test_stream_and_errors_over_the_wire(server: str) -> None:
    with httpx.stream(
        "POST", f"{server}/v1/check/batch", json={"claims": [{"claim": "Goma"}, {"claim": "Kagame"}]}
    ) as r:
        assert r.headers["content-type"].startswith("application/x-ndjson")
        assert len(list(r.iter_lines())) == 2
    r = httpx.post(f"{server}/v1/check", content=b"[1, 2", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
