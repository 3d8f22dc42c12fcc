"""Watches over the wire: a real `factdesk serve` process POSTs signed deliveries to a local receiver.

The receiver is an http.server on 127.0.0.1, the one network the server is allowed to reach
(`--fetch-allow 127.0.0.1/32`); nothing here sends traffic anywhere but loopback.
"""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from problems import assert_problem
from serving import free_port, launch, stop

ALLOW = ("--fetch-allow", "127.0.0.1/32")
CLAIM = "M23 rebels have captured Goma"


class Receiver:
    """Records every POST; answers 500 to the first `fail` of them, 204 after."""

    def __init__(self, port: int, fail: int = 0) -> None:
        self.port, self.fail = port, fail
        self.requests: list[tuple[int, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 500 if len(receiver.requests) < receiver.fail else 204
                receiver.requests.append((status, dict(self.headers.items()), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for status, headers, body in self.requests if status == 204]


def wait_for(condition: Callable[[], Any], seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("watched")


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[tuple[Any, str]]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FACTDESK_WEBHOOK_BACKOFF", "0.2")
        env.setenv("FACTDESK_WEBHOOK_ATTEMPTS", "20")
        env.setenv("FACTDESK_WEBHOOK_TIMEOUT", "1")  # the claim's lease: 4 requests' timeouts + 30 s
        process, url = launch(data_dir, *ALLOW)
        holder = [process, url]
        yield holder  # the restart test replaces the process
        if holder[0].poll() is None:
            stop(holder[0])


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Factdesk-Signature"], expected)


def test_refused_webhooks_and_unknown_watches_change_nothing(server: list[Any]) -> None:
    url = server[1]
    port = free_port()
    for webhook, reason in [
        (f"http://127.0.0.2:{port}/hook", "127.0.0.2 is a loopback address"),
        (f"http://[::1]:{port}/", "::1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        (f"ftp://127.0.0.1:{port}/", "only http and https"),
        ("http:///nohost", "no host"),
    ]:
        body = assert_problem(httpx.post(f"{url}/v1/watches", json={"claim": CLAIM, "webhook_url": webhook}), 422)
        assert reason in body["detail"], body
    assert_problem(httpx.post(f"{url}/v1/watches", json={"claim": " ", "webhook_url": "http://127.0.0.1/"}), 400)
    assert httpx.get(f"{url}/v1/watches").json() == {"watches": []}
    for r in (
        httpx.get(f"{url}/v1/watches/w-0000"),
        httpx.delete(f"{url}/v1/watches/w-0000"),
        httpx.get(f"{url}/v1/watches/w-0000/deliveries"),
    ):
        assert_problem(r, 404)


def test_signed_delivery_is_retried_after_a_500_then_survives_a_restart(server: list[Any], data_dir: Path) -> None:
    url = server[1]
    port = free_port()
    receiver = Receiver(port, fail=1)
    try:
        r = httpx.post(f"{url}/v1/watches", json={"claim": CLAIM, "webhook_url": receiver.url})
        assert r.status_code == 201, r.text
        created = r.json()
        secret, watch_id = created["secret"], created["id"]
        assert len(secret) >= 32
        listed = httpx.get(f"{url}/v1/watches").json()["watches"]
        assert [w["id"] for w in listed] == [watch_id] and "secret" not in listed[0]
        one = httpx.get(f"{url}/v1/watches/{watch_id}").json()
        assert one["webhook_url"] == receiver.url and "secret" not in one

        article = {"id": "witness", "text": "M23 rebels have captured Goma, a witness said.", "publisher": "Blog"}
        assert httpx.post(f"{url}/v1/articles", json=article).status_code == 201
        headers, body = wait_for(receiver.delivered)[0]
        assert [status for status, _, _ in receiver.requests] == [500, 204]  # retried after the 500
        assert _verify(secret, headers, body)
        assert not _verify("another secret", headers, body)
        payload = json.loads(body)
        assert payload["watch_id"] == watch_id and payload["claim"] == CLAIM and payload["stance"] == "supports"
        assert payload["statement"]["text"] == article["text"] and payload["statement"]["start"] == 0
        assert payload["article"]["id"] == "witness" and payload["article"]["publisher"] == "Blog"
        assert set(payload["scores"]) == {"supports", "conflicts", "neutral"}
        deliveries = wait_for(
            lambda: [
                d
                for d in httpx.get(f"{url}/v1/watches/{watch_id}/deliveries").json()["deliveries"]
                if d["status"] == "delivered"
            ]
        )
        assert deliveries[0]["attempts"] == 2 and str(deliveries[0]["id"]) == headers["X-Factdesk-Delivery"]
        assert deliveries[0]["delivered_at"] and deliveries[0]["next_attempt_at"] is None
    finally:
        receiver.close()

    # the receiver is down: the next delivery fails, stays queued, and the server is killed meanwhile
    second = {"id": "army", "text": "M23 rebels captured the city of Goma on Monday, the army said."}
    assert httpx.post(f"{url}/v1/articles", json=second).status_code == 201

    def queued_with_error() -> list[dict[str, Any]]:
        listed = httpx.get(f"{url}/v1/watches/{watch_id}/deliveries").json()["deliveries"]
        return [d for d in listed if d["article_id"] == "army" and d["status"] == "queued" and d["last_error"]]

    pending = wait_for(queued_with_error)
    server[0].kill()
    server[0].wait(timeout=30)
    receiver = Receiver(port)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("FACTDESK_WEBHOOK_BACKOFF", "0.2")
            env.setenv("FACTDESK_WEBHOOK_ATTEMPTS", "20")
            env.setenv("FACTDESK_WEBHOOK_TIMEOUT", "1")
            server[0], url = launch(data_dir, *ALLOW)
        server[1] = url
        # killed while the delivery was claimed (mid-send), it waits for the claim's lease to run out
        headers, body = wait_for(receiver.delivered, seconds=120)[0]
        assert json.loads(body)["article"]["id"] == "army" and _verify(secret, headers, body)
        assert headers["X-Factdesk-Delivery"] == str(pending[0]["id"])
        final = wait_for(
            lambda: [
                d
                for d in httpx.get(f"{url}/v1/watches/{watch_id}/deliveries").json()["deliveries"]
                if d["article_id"] == "army" and d["status"] == "delivered"
            ]
        )
        assert final[0]["attempts"] >= 2
    finally:
        receiver.close()
    assert httpx.delete(f"{url}/v1/watches/{watch_id}").status_code == 204
    assert_problem(httpx.get(f"{url}/v1/watches/{watch_id}"), 404)
    assert httpx.get(f"{url}/v1/watches").json() == {"watches": []}
