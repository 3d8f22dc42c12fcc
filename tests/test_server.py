"""`factdesk serve` as a real process on a free port, seeded on first start, answering over HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data = tmp_path_factory.mktemp("served")
    env = os.environ | {"FACTDESK_DATA_DIR": str(data)}
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited: {process.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("server did not start within 120 s")
    yield url
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=30)[0].decode()
    assert process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a graceful stop
    assert "Application shutdown complete" in output


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
