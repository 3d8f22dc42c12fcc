"""API keys, scopes, the rate limit and request logs: the subject is the guard, not the model, so the app serves
an archive on the fakes (hashed-word vectors, the cue stance)."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from factdesk.index.archive import Archive
from factdesk.index.errors import InvalidInput
from factdesk.index.settings import Settings
from factdesk.service.api import create_app
from factdesk.service.api.guards import parse_rate
from factdesk.service.cli import main
from factdesk.service.keys import create_key, digest

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "keys.json"
    return {
        "path": str(path),
        "check": create_key(path, ["check"], "reader")[0],
        "ingest": create_key(path, ["ingest"], "feeder")[0],
        "admin": create_key(path, ["admin", "check"], "ops")[0],
    }


@pytest.fixture
async def client(fake_seeded: Archive, tmp_path: Path, keys: dict[str, str]) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(data_dir=tmp_path, keys_file=Path(keys["path"]), rate_limit="5/minute")
    async with AsyncTestClient(create_app(settings, archive=fake_seeded)) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def test_keys_are_stored_hashed(keys: dict[str, str]) -> None:
    text = Path(keys["path"]).read_text()
    assert keys["check"] not in text and digest(keys["check"]) in text
    assert [k["scopes"] for k in json.loads(text)["keys"]] == [["check"], ["ingest"], ["check", "admin"]]


async def test_missing_and_invalid_keys_are_401(client: AsyncTestClient) -> None:
    body = problem(await client.post("/v1/check", json={"claim": "M23 rebels have captured Goma"}), 401)
    assert "API key" in body["detail"]
    r = await client.get("/v1/search", params={"q": "Goma"}, headers=bearer("fdk_not-a-key"))
    problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_scopes(client: AsyncTestClient, keys: dict[str, str]) -> None:
    claim = {"claim": "M23 rebels have captured Goma"}
    assert (await client.post("/v1/check", json=claim, headers=bearer(keys["check"]))).status_code == 200
    assert (await client.post("/v1/check", json=claim, headers={"X-API-Key": keys["check"]})).status_code == 200
    body = problem(await client.post("/v1/check", json=claim, headers=bearer(keys["ingest"])), 403)
    assert "'check' scope" in body["detail"]
    article = {"text": "The bridge at Kanyaruchinya collapsed on Tuesday."}
    problem(await client.post("/v1/articles", json=article, headers=bearer(keys["check"])), 403)
    assert (await client.post("/v1/articles", json=article, headers=bearer(keys["ingest"]))).status_code == 201
    problem(await client.get("/metrics", headers=bearer(keys["check"])), 403)
    assert (await client.get("/metrics", headers=bearer(keys["admin"]))).status_code == 200
    assert (await client.get("/health")).status_code == 200  # liveness stays open


async def test_whoami_tells_the_page_what_a_key_may_do(client: AsyncTestClient, keys: dict[str, str]) -> None:
    problem(await client.get("/v1/whoami"), 401)
    reader = (await client.get("/v1/whoami", headers=bearer(keys["check"]))).json()
    assert reader == {"keys": True, "scopes": ["check"], "key_id": reader["key_id"], "name": "reader"}
    assert (await client.get("/v1/whoami", headers=bearer(keys["ingest"]))).json()["scopes"] == ["ingest"]
    page = await client.get("/")  # the desk page itself needs no key: it asks for one
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]


async def test_whoami_without_keys(fake_seeded: Archive, tmp_path: Path) -> None:
    async with AsyncTestClient(create_app(Settings(data_dir=tmp_path), archive=fake_seeded)) as open_client:
        r = await open_client.get("/v1/whoami")
    assert r.json() == {"keys": False, "scopes": ["check", "ingest", "admin"], "key_id": None, "name": None}


async def test_openapi_documents_the_scheme(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"],
    }
    assert schema["paths"]["/v1/check"]["post"]["security"] == [{"apiKey": []}]


async def test_rate_limit_per_key(client: AsyncTestClient, keys: dict[str, str]) -> None:
    for _ in range(5):
        r = await client.get("/v1/search", params={"q": "Goma"}, headers=bearer(keys["check"]))
        assert r.status_code == 200
    r = await client.get("/v1/search", params={"q": "Goma"}, headers=bearer(keys["check"]))
    problem(r, 429)
    assert int(r.headers["retry-after"]) >= 1
    # another key has its own budget
    r = await client.get("/v1/search", params={"q": "Goma"}, headers=bearer(keys["admin"]))
    assert r.status_code == 200


def test_parse_rate() -> None:
    assert parse_rate("120/minute") == ("minute", 120)
    assert parse_rate("off") is None
    with pytest.raises(InvalidInput, match="COUNT/UNIT"):
        parse_rate("fast")


def test_keys_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k.json"
    assert main(["keys", "create", "--keys-file", str(path), "--scope", "check", "--name", "desk"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("fdk_") and secret not in path.read_text()
    assert main(["keys", "list", "--keys-file", str(path)]) == 0
    assert "desk" in capsys.readouterr().out
    assert main(["keys", "create", "--keys-file", str(path)]) == 1
    assert "scopes must be among" in capsys.readouterr().err


async def test_request_ids_and_json_logs(client: AsyncTestClient, keys: dict[str, str], caplog) -> None:
    import logging

    from factdesk.service.logs import JsonFormatter

    with caplog.at_level(logging.INFO, logger="factdesk.http"):
        r = await client.get(
            "/v1/search", params={"q": "Goma"}, headers=bearer(keys["check"]) | {"X-Request-ID": "abc-1"}
        )
        missing = await client.get("/v1/search", params={"q": "Goma"})
    assert r.headers["x-request-id"] == "abc-1"
    assert len(missing.headers["x-request-id"]) == 32  # generated
    lines = [json.loads(JsonFormatter().format(rec)) for rec in caplog.records if rec.name == "factdesk.http"]
    assert lines[0]["request_id"] == "abc-1" and lines[0]["status"] == 200 and lines[0]["api_key"]
    assert lines[1]["status"] == 401 and lines[1]["path"] == "/v1/search" and lines[1]["duration_ms"] >= 0


async def test_watches_need_the_ingest_scope(client: AsyncTestClient, keys: dict[str, str]) -> None:
    watch = {"claim": "M23 rebels have captured Goma", "webhook_url": "http://127.0.0.1:9/hook"}
    problem(await client.post("/v1/watches", json=watch, headers=bearer(keys["check"])), 403)
    problem(await client.get("/v1/watches", headers=bearer(keys["admin"])), 403)
    problem(await client.get("/v1/watches", headers=bearer(keys["check"])), 403)
    assert (await client.get("/v1/watches", headers=bearer(keys["ingest"]))).json() == {"watches": []}


async def test_a_keys_file_broken_while_serving_keeps_the_last_good_keys(
    client: AsyncTestClient, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    path = Path(keys["path"])
    good = path.read_text()
    assert (await client.get("/v1/whoami", headers=bearer(keys["check"]))).status_code == 200
    for broken in ('{"keys": [', '{"keys": 3}', '{"keys": [{"id": "x"}]}', "[]"):
        path.write_text(broken)
        r = await client.get("/v1/whoami", headers=bearer(keys["check"]))
        assert r.status_code == 200 and r.json()["scopes"] == ["check"], r.text
        problem(await client.get("/v1/whoami", headers=bearer("fdk_guess")), 401)
    assert "the last good keys stay in force" in caplog.text
    path.write_text(good.replace(digest(keys["check"]), digest("fdk_other")))  # fixed again, with a change
    problem(await client.get("/v1/whoami", headers=bearer(keys["check"])), 401)


def test_a_keys_file_that_does_not_parse_is_refused_at_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys.json"
    path.write_text('{"keys": [')
    with pytest.raises(InvalidInput, match="not a factdesk keys file"):
        create_app(Settings(data_dir=tmp_path, keys_file=path))
    assert main(["--data-dir", str(tmp_path), "serve", "--keys-file", str(path)]) == 1
    assert "not a factdesk keys file" in capsys.readouterr().err
