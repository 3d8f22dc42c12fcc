import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from problems import assert_problem

from factdesk.index.archive import Archive
from factdesk.index.settings import Settings
from factdesk.index.verdict import load_calibrator
from factdesk.service.api import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(seeded: Archive, tmp_path: Path) -> AsyncIterator[AsyncTestClient]:
    app = create_app(Settings(data_dir=tmp_path, max_body_bytes=64 * 1024), archive=seeded)
    async with AsyncTestClient(app) as c:
        yield c


async def test_the_server_uses_the_calibration_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTDESK_CALIBRATION", "news")
    settings = Settings(data_dir=tmp_path, seed=False)
    assert settings.calibration == "news"
    async with AsyncTestClient(create_app(settings)) as client:
        health = (await client.get("/health")).json()
    news = load_calibrator(health["stance_model"], "news")
    assert news is not None and health["calibration"] == "news" and health["min_confidence"] == news.min_confidence


async def test_check_result_shape(client: AsyncTestClient) -> None:
    r = await client.post("/v1/check", json={"claim": "M23 rebels have captured Goma", "top_k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["verdict"] == "supported" and 0 <= body["confidence"] <= 1
    assert len(body["evidence"]) == 3
    top = body["evidence"][0]
    assert set(top) >= {
        "statement_id",
        "text",
        "stance",
        "stance_scores",
        "similarity",
        "cues",
        "speaker",
        "start",
        "end",
        "article",
    }
    assert top["article"] == {
        "id": "294fb351d4f3dc25",
        "url": None,
        "publisher": None,
        "published_at": None,
        "title": "Kagame urges ceasefire in eastern DRC as M23 captures Goma",
    }
    assert set(top["stance_scores"]) == {"supports", "conflicts", "neutral"}


async def test_number_cue_over_http(client: AsyncTestClient) -> None:
    claim = "About 50 civilians were injured when two bombs landed in Mbugangari"
    top = (await client.post("/v1/check", json={"claim": claim})).json()["evidence"][0]
    assert top["stance"] != "supports"  # the cue is the reason given, the model's stance stands
    cue = next(c for c in top["cues"] if c["kind"] == "number")
    assert claim[cue["claim"]["start"] : cue["claim"]["end"]] == "About 50 civilians"
    assert cue["statement"]["text"] == "about 15 civilians"


async def test_articles_lifecycle(client: AsyncTestClient) -> None:
    one = {
        "text": "The bridge at Kanyaruchinya collapsed on Tuesday. Nobody was hurt.",
        "url": "https://ex.org/b",
        "publisher": "Example News",
        "published_at": "2025-01-28",
    }
    r = await client.post("/v1/articles", json=one)
    assert r.status_code == 201
    (created,) = r.json()["articles"]
    assert created["status"] == "created" and created["statements"] == 2

    r = await client.post("/v1/articles", json={"articles": [one, {"text": "Second article. Two sentences."}]})
    assert [a["status"] for a in r.json()["articles"]] == ["unchanged", "created"]

    article = (await client.get(f"/v1/articles/{created['id']}")).json()
    assert article["publisher"] == "Example News"
    assert [s["text"] for s in article["statements"]] == [
        "The bridge at Kanyaruchinya collapsed on Tuesday.",
        "Nobody was hurt.",
    ]
    hits = (await client.get("/v1/search", params={"q": "Kanyaruchinya bridge", "k": 2})).json()["hits"]
    assert hits[0]["article"]["id"] == created["id"]

    assert (await client.delete(f"/v1/articles/{created['id']}")).status_code == 204
    assert_problem(await client.get(f"/v1/articles/{created['id']}"), 404)
    assert_problem(await client.delete(f"/v1/articles/{created['id']}"), 404)
    hits = (await client.get("/v1/search", params={"q": "Kanyaruchinya bridge", "k": 5})).json()["hits"]
    assert all(h["article"]["id"] != created["id"] for h in hits)


async def test_batch_streams_ndjson_in_order(client: AsyncTestClient) -> None:
    claims = [
        {"id": "a", "claim": "The Eiffel Tower is in Paris"},
        {"claim": "M23 rebels have captured Goma"},
        {"id": "c", "claim": "Goma was captured by M23 rebels"},
    ]
    r = await client.post("/v1/check/batch", json={"claims": claims, "top_k": 2})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [x["claim"] for x in lines] == [c["claim"] for c in claims]
    assert [x.get("id") for x in lines] == ["a", None, "c"]
    assert [x["verdict"] for x in lines] == ["not_enough_evidence", "supported", "supported"]
    assert all(len(x["evidence"]) == 2 for x in lines)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"claim": ""},
        {"claim": "x", "top_k": 0},
        {"claim": "x", "top_k": 51},
        {"claim": 5},
        {"claim": "x", "k": 1},
        {"claim": "x" * 2001},
        {"claim": "x", "min_confidence": 1.5},
        {"claim": "x", "min_confidence": -0.1},
        {"claim": "x", "min_confidence": "high"},
        {"claim": "x", "min_confidence": "0.5"},  # numbers are numbers
        {"claim": "x", "top_k": "5"},
        {"claim": "x", "top_k": "1e1"},
        {"claim": "x", "top_k": 2.5},
        {"claim": "x", "top_k": True},
        {"claim": "\u200b\u200c\u2060\ufeff"},  # invisible characters only: blank
        {"claim": "\u00ad\u180e\u3164"},
        {"claim": "x", "as_of": 20250127},
    ],
)
async def test_check_validation_is_problem_details(client: AsyncTestClient, body: dict) -> None:
    assert_problem(await client.post("/v1/check", json=body), 400)


async def test_min_confidence_decides_or_abstains(client: AsyncTestClient) -> None:
    claim = "M23 rebels failed to capture Goma"
    decided = (await client.post("/v1/check", json={"claim": claim, "min_confidence": 0})).json()
    assert decided["verdict"] == "refuted"
    assert decided["confidence"] == decided["probabilities"]["refuted"] == max(decided["probabilities"].values())
    level = decided["confidence"] + 0.01
    unsure = (await client.post("/v1/check", json={"claim": claim, "min_confidence": level})).json()
    assert unsure["verdict"] == "not_enough_evidence"
    assert unsure["probabilities"] == decided["probabilities"]
    assert unsure["leaning"] == "refuted" and "leaning" not in decided
    assert unsure["confidence"] == pytest.approx(1 - decided["confidence"], abs=1e-4)
    batch = await client.post("/v1/check/batch", json={"claims": [{"claim": claim}], "min_confidence": level})
    assert json.loads(batch.text.splitlines()[0])["verdict"] == "not_enough_evidence"
    bad = await client.post("/v1/check/batch", json={"claims": [{"claim": claim}], "min_confidence": 2})
    assert_problem(bad, 400)


async def test_other_client_errors(client: AsyncTestClient) -> None:
    # bodies that break the schema are 400; well-formed but unusable ones are 422
    assert_problem(await client.post("/v1/check", json={"claim": "   "}), 400)
    assert_problem(await client.post("/v1/check", json={"claim": "\x1d\ufeff\u3000"}), 400)  # blank in any dialect
    assert_problem(
        await client.post("/v1/check", content=b"{not json", headers={"content-type": "application/json"}), 400
    )
    assert_problem(await client.post("/v1/check/batch", json={"claims": []}), 400)
    assert_problem(await client.post("/v1/articles", json={"title": "no text"}), 422)
    assert_problem(await client.post("/v1/articles", json={"text": "x.", "published_at": "soon"}), 400)
    assert_problem(await client.post("/v1/articles", json={"text": "x.", "published_at": "2023-02-29"}), 400)
    assert_problem(await client.post("/v1/articles", json={"text": "x.", "id": "a b"}), 400)
    assert_problem(await client.get("/v1/search"), 400)
    assert_problem(await client.get("/v1/search", params={"q": "goma", "k": 500}), 400)
    assert_problem(await client.get("/v1/nowhere"), 404)
    assert_problem(await client.put("/v1/check", json={}), 405)
    assert_problem(await client.post("/v1/articles", json={"text": "y" * 100_000}), 413)


async def test_health_metrics_and_offline_docs(client: AsyncTestClient) -> None:
    health = (await client.get("/health")).json()
    assert health["status"] == "ok" and health["statements"] == health["vectors"] == 18
    assert health["embedding_model"] == "all-MiniLM-L6-v2" and health["encoder"] == "onnx-int8"
    assert health["vector_index"] == "flat"
    assert health["stance_mode"] in ("nli", "cues")
    calibrator = load_calibrator(health["stance_model"])
    assert health["calibration"] == ("general" if calibrator else None)
    assert health["min_confidence"] == (calibrator.min_confidence if calibrator else 0.0)
    await client.post("/v1/check", json={"claim": "Goma"})
    await client.get("/v1/articles/nothing-here")
    metrics = (await client.get("/metrics")).text
    assert 'factdesk_index_size{kind="statements"} 18.0' in metrics
    requests = [line for line in metrics.splitlines() if line.startswith("factdesk_requests_total{")]
    assert any('status_code="200"' in line and "/v1/check" in line for line in requests)
    assert any('status_code="404"' in line for line in requests)  # client errors are counted by status
    assert "factdesk_request_duration_seconds_bucket{" in metrics
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["openapi"].startswith("3.1")
    assert {
        "/v1/check",
        "/v1/check/batch",
        "/v1/articles",
        "/v1/articles/{article_id}",
        "/v1/search",
        "/health",
        "/metrics",
    } <= set(schema["paths"])
    docs = (await client.get("/schema/swagger")).text
    assert "/static/swagger-ui/swagger-ui-bundle.js" in docs and "https://" not in docs
    assert (await client.get("/static/swagger-ui/swagger-ui-bundle.js")).status_code == 200


def _close(ours: object, theirs: object) -> bool:
    """Equal, scores within 0.01 (the last digits of int8 arithmetic may differ between CPUs)."""
    if isinstance(ours, float) or isinstance(theirs, float):
        return isinstance(ours, int | float) and isinstance(theirs, int | float) and abs(ours - theirs) <= 0.01
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(_close(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(_close(a, b) for a, b in zip(ours, theirs, strict=True))
    return ours == theirs


async def test_readme_example_is_the_real_response(client: AsyncTestClient) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    request = json.loads(readme.split("-d '", 1)[1].split("'", 1)[0])
    shown = json.loads(readme.split("```json\n", 1)[1].split("```", 1)[0])
    r = await client.post("/v1/check", json=request)
    assert r.status_code == 200 and _close(r.json(), shown), r.text


JSON_ROUTES = {
    "/v1/articles": {"text": "Goma's airport reopened on Monday, officials said."},
    "/v1/check": {"claim": "M23 rebels have captured Goma"},
    "/v1/check/document": {"text": "M23 rebels have captured Goma."},
    "/v1/check/batch": {"claims": [{"claim": "M23 rebels have captured Goma"}]},
    "/v1/watches": {"claim": "M23 rebels have captured Goma", "webhook": "https://hooks.example.org/x"},
}


@pytest.mark.parametrize("route", sorted(JSON_ROUTES))
async def test_malformed_json_bodies_are_4xx_and_change_nothing(client: AsyncTestClient, route: str) -> None:
    before = (await client.get("/health")).json()
    body = json.dumps(JSON_ROUTES[route])
    assert_problem(await client.post(route, content=body, headers={"content-type": "text/plain"}), 415)
    assert_problem(await client.post(route, content=body, headers={"content-type": "application/xml"}), 415)
    for deep in (
        "[" * 1000 + "]" * 1000,
        '{"a": ' * 1000 + "1" + "}" * 1000,
        '{"claim": ' + "[" * 100 + "]" * 100 + "}",
    ):
        r = await client.post(route, content=deep, headers={"content-type": "application/json"})
        assert "nests more than 64 levels" in assert_problem(r, 400)["detail"]
    # brackets inside strings are text, not nesting
    text = {"claim": "[" * 500 + " M23 captured Goma"}
    assert (await client.post("/v1/check", json=text)).status_code == 200
    after = (await client.get("/health")).json()
    assert {k: before[k] for k in ("articles", "statements", "vectors")} == {
        k: after[k] for k in ("articles", "statements", "vectors")
    }
    assert (await client.get("/v1/watches")).json()["watches"] == []


async def test_options_lists_every_method_of_a_path(client: AsyncTestClient) -> None:
    for path, methods in {
        "/v1/articles/some-id": {"GET", "DELETE", "OPTIONS"},
        "/v1/watches": {"GET", "POST", "OPTIONS"},
        "/v1/watches/some-id": {"GET", "DELETE", "OPTIONS"},
        "/v1/check": {"POST", "OPTIONS"},
    }.items():
        r = await client.options(path)
        assert r.status_code == 204 and set(r.headers["allow"].split(", ")) == methods, (path, r.headers)


async def test_an_internal_failure_in_a_document_check_is_a_500_without_internals(
    client: AsyncTestClient, seeded: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a bug deep in the check (fewer results than claims: zip(strict=True) raises ValueError) is the server's
    # fault, never the client's 422
    monkeypatch.setattr(seeded, "check_many", lambda claims, *args, **kwargs: iter([]))
    r = await client.post("/v1/check/document", json={"text": "M23 rebels captured Goma on Monday, the army said."})
    body = assert_problem(r, 500)
    assert body["detail"] == "internal error"
    assert not {"zip", "ValueError", "Traceback", "argument"} & set(r.text.replace('"', " ").split())
