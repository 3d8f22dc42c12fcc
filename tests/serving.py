"""Start `factdesk serve` as a real process on a free port (used by the server, fuzz and crash tests)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(
    data: Path, *options: str, extra: Sequence[str] = (), port: int | None = None
) -> tuple[subprocess.Popen, str]:
    """`factdesk [options] serve [extra]`, waited for until /health answers."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--data-dir", str(data), *options, "serve", "--port", str(port), *extra],
        cwd=ROOT,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start within 180 s")


def stop(process: subprocess.Popen) -> str:
    """Graceful stop (SIGTERM); returns the server's output."""
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0].decode()
    assert process.returncode in (0, -signal.SIGTERM), output[-2000:]  # uvicorn re-raises the signal
    return output


@contextmanager
def start_server(data: Path, *options: str, extra: Sequence[str] = ()) -> Iterator[str]:
    process, url = launch(data, *options, extra=extra)
    try:
        yield url
    finally:
        if process.poll() is None:
            stop(process)
