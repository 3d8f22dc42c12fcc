"""The newsroom desk's API: whole drafts, evidence as known at a date, wire copies counted once."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from problems import assert_problem

from factdesk.index.archive import Archive
from factdesk.index.errors import InvalidInput
from factdesk.index.ingest.articles import Article
from factdesk.index.retrieve.limits import TimeLimit
from factdesk.index.settings import Settings
from factdesk.service.api import create_app

pytestmark = pytest.mark.anyio
CLAIM = "M23 rebels have captured Goma"
CAPTURE = "M23 rebels captured the city of Goma on Monday, the army said."
DRAFT = (
    "Kagame spoke to reporters. M23 rebels have captured Goma, the capital of North Kivu. "
    "Many people are worried about what comes next?"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(seeded: Archive, tmp_path: Path) -> AsyncIterator[AsyncTestClient]:
    app = create_app(Settings(data_dir=tmp_path), archive=seeded)
    async with AsyncTestClient(app) as c:
        yield c


async def test_document_lists_every_statement_and_checks_the_worthy_ones(client: AsyncTestClient) -> None:
    r = await client.post("/v1/check/document", json={"text": DRAFT, "top_k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    statements = body["statements"]
    assert [s["position"] for s in statements] == [0, 1, 2]
    assert all(DRAFT[s["start"] : s["end"]] == s["text"] for s in statements)
    checked = [s for s in statements if s["result"]]
    assert body["checked"] == len(checked) >= 1
    assert all(s["checkworthiness"] >= 0.5 for s in checked)
    assert all(s["result"] is None for s in statements if s["checkworthiness"] < 0.5)
    capture = statements[1]["result"]
    assert capture["evidence"][0]["text"].startswith("Meanwhile, M23 rebels have captured Goma")
    assert capture["evidence"][0]["stance"] == "supports"
    everything = (await client.post("/v1/check/document", json={"text": DRAFT, "min_checkworthiness": 0})).json()
    assert everything["checked"] == 3


async def test_document_checks_what_reported_speech_reports(client: AsyncTestClient) -> None:
    text = "The Rwandan government said that M23 rebels have captured Goma, the capital of North Kivu."
    r = (await client.post("/v1/check/document", json={"text": text, "min_checkworthiness": 0})).json()
    assert r["statements"][0]["result"]["claim"] == "M23 rebels have captured Goma, the capital of North Kivu."


async def test_document_bad_input_is_a_problem(client: AsyncTestClient) -> None:
    assert_problem(await client.post("/v1/check/document", json={"text": "  "}), 400)
    assert_problem(await client.post("/v1/check/document", json={"text": DRAFT, "min_checkworthiness": 2}), 400)
    assert_problem(await client.post("/v1/check/document", json={"text": DRAFT, "as_of": "yesterday"}), 400)
    assert_problem(await client.post("/v1/check/document", json={"text": DRAFT, "undated": "maybe"}), 400)
    assert_problem(await client.post("/v1/check/document", json={"text": "\u200b \u2060"}), 400)


async def test_a_draft_over_300_check_worthy_statements_is_checked_up_to_300(client: AsyncTestClient) -> None:
    too_many = " ".join(f"On Monday {i} soldiers of the FARDC were killed in Goma, officials said." for i in range(320))
    r = await client.post("/v1/check/document", json={"text": too_many, "min_checkworthiness": 0})
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert len(body["statements"]) == 320 and body["checked"] == 300 and body["left_unchecked"] == 20
    assert body["min_checkworthiness"] == 0


@pytest.fixture
async def dated(archive: Archive, tmp_path: Path) -> AsyncIterator[AsyncTestClient]:
    archive.ingest(
        [
            Article(CAPTURE, id="late", publisher="Later Post", published_at="2025-01-27T18:00:00+00:00"),
            Article("Goma is calm and fully under government control.", id="early", published_at="2025-01-20"),
            Article("M23 rebels have captured Goma, a witness said.", id="undated", publisher="Blog"),
        ]
    )
    app = create_app(Settings(data_dir=tmp_path), archive=archive)
    async with AsyncTestClient(app) as c:
        yield c


def _articles(body: dict) -> set[str]:
    return {e["article"]["id"] for e in body["evidence"]}


async def test_as_of_limits_evidence_to_what_was_published(dated: AsyncTestClient) -> None:
    everything = (await dated.post("/v1/check", json={"claim": CLAIM})).json()
    assert _articles(everything) == {"late", "early", "undated"}
    late = next(e for e in everything["evidence"] if e["article"]["id"] == "late")
    assert late["published_at"] == "2025-01-27T18:00:00+00:00"
    before = (await dated.post("/v1/check", json={"claim": CLAIM, "as_of": "2025-01-26"})).json()
    assert _articles(before) == {"early", "undated"}
    dated_only = {"claim": CLAIM, "as_of": "2025-01-26", "undated": "exclude"}
    assert _articles((await dated.post("/v1/check", json=dated_only)).json()) == {"early"}
    # a date includes its whole day; a time with an offset is compared as an instant
    assert "late" in _articles((await dated.post("/v1/check", json={"claim": CLAIM, "as_of": "2025-01-27"})).json())
    at = {"claim": CLAIM, "as_of": "2025-01-27T19:00:00+02:00"}
    assert "late" not in _articles((await dated.post("/v1/check", json=at)).json())
    hits = (await dated.get("/v1/search", params={"q": CLAIM, "as_of": "2025-01-21", "undated": "exclude"})).json()
    assert {h["article"]["id"] for h in hits["hits"]} == {"early"}
    batch = await dated.post("/v1/check/batch", json={"claims": [{"claim": CLAIM}], "as_of": "2025-01-26"})
    assert "late" not in batch.text and batch.status_code == 200
    assert_problem(await dated.get("/v1/search", params={"q": CLAIM, "as_of": "2025-13-01"}), 400)
    assert_problem(await dated.post("/v1/check", json={"claim": CLAIM, "as_of": "2025-02-30"}), 400)


def test_time_limit_parses_dates_and_refuses_others() -> None:
    limit = TimeLimit.parse("2025-01-27")
    assert limit.allows("2025-01-27T23:59:00Z") and not limit.allows("2025-01-28")
    assert limit.allows(None) and not TimeLimit.parse("2025-01-27", "exclude").allows(None)
    assert TimeLimit.parse(None).allows("2999-01-01") and not TimeLimit.parse(None).active
    for bad in ("27/01/2025", "soon"):
        with pytest.raises(InvalidInput, match="ISO 8601"):
            TimeLimit.parse(bad)
    with pytest.raises(InvalidInput, match="include or exclude"):
        TimeLimit.parse(None, "sometimes")


def test_wire_copies_are_one_evidence_item_and_one_origin(archive: Archive) -> None:
    wire = "M23 rebels captured the eastern Congolese city of Goma on Monday, the army said."
    edited = "M23 rebels captured the eastern Congolese city of Goma on Monday, the army said in a statement."
    archive.ingest(
        [
            Article(wire, id="a", publisher="Daily One"),
            Article(wire.upper().replace(",", ";"), id="b", publisher="Daily Two"),
            Article(edited, id="c", publisher="Daily Three"),
            Article(wire.replace("Monday", "Sunday"), id="d", publisher="Daily Four"),
        ]
    )
    result = archive.check(CLAIM)
    sources = [{a.id for a in e.sources} for e in result.evidence]
    # the same text (case and punctuation aside) or a light edit: one item; another day: another statement
    assert {"a", "b", "c"} in sources and {"d"} in sources
    merged = result.evidence[sources.index({"a", "b", "c"})]
    assert merged.publisher_key == "daily one"  # the origin's key: the first of its sources'
    origins = {e.publisher_key for e in result.evidence if e.stance == "supports"}
    assert result.supporting_publishers == len(origins) <= 2
