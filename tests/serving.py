"""Start `factdesk serve` as a real process on a free port (used by the server, fuzz and crash tests)."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
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
    """`factdesk [options] serve [extra]`, waited for until /health answers.

    The server logs into a temporary file, not a pipe: nobody reads a pipe while a test runs, and a full one
    (64 KB of request logs) would block the server.
    """
    port = port or free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process; read by output())
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "factdesk.service.cli",
            "--data-dir",
            str(data),
            *options,
            "serve",
            "--port",
            str(port),
            *extra,
        ],
        cwd=ROOT,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.stdout = log  # read back by output()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {output(process)[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start within 180 s")


def output(process: subprocess.Popen) -> str:
    """Everything the server has logged so far."""
    log = process.stdout
    assert log is not None
    log.seek(0)
    return log.read().decode(errors="replace")


def stop(process: subprocess.Popen) -> str:
    """Graceful stop (SIGTERM); returns the server's output."""
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    logged = output(process)
    assert process.returncode in (0, -signal.SIGTERM), logged[-2000:]  # uvicorn re-raises the signal
    return logged


@contextmanager
def start_server(data: Path, *options: str, extra: Sequence[str] = ()) -> Iterator[str]:
    process, url = launch(data, *options, extra=extra)
    try:
        yield url
    finally:
        if process.poll() is None:
            stop(process)
