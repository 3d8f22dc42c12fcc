"""The desk's API parts against a real `factdesk serve` process, and their command-line side.

One server for the module (each start loads the models): drafts, ClaimReview out and in, `as_of`, wire copies
and language, each with its bad input answered by a 4xx problem that changes nothing.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serving import start_server

from factdesk.service.cli import main

pytestmark = pytest.mark.slow
CLAIM = "M23 rebels have captured Goma"
BRIDGE = "The Kanyabayonga bridge was destroyed by shelling on Sunday."
WIRE = [
    {"id": "wire-a", "text": BRIDGE, "publisher": "Wire One", "published_at": "2025-02-02"},
    {"id": "wire-b", "text": BRIDGE, "publisher": "Daily Two", "published_at": "2025-02-03"},
    {"id": "later", "text": "The Kanyabayonga bridge was repaired and reopened.", "publisher": "Later News",
     "published_at": "2025-03-10"},
]  # fmt: skip
REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://checks.example/goma",
    "claimReviewed": "M23 has captured the city of Goma",
    "datePublished": "2025-01-28",
    "author": {"@type": "Organization", "name": "Example Checks"},
    "reviewRating": {"@type": "Rating", "ratingValue": 5, "bestRating": 5, "worstRating": 1, "alternateName": "True"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with start_server(tmp_path_factory.mktemp("desk") / "data") as url, httpx.Client(base_url=url, timeout=60) as c:
        assert c.post("/v1/articles", json={"articles": WIRE}).status_code == 201
        yield c


def counts(client: httpx.Client) -> dict:
    health = client.get("/health").json()
    return {k: health[k] for k in ("articles", "statements", "fact_checks")}


def problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_a_draft_is_checked_statement_by_statement(server: httpx.Client) -> None:
    draft = f"{CLAIM}, the capital of North Kivu. We will keep you posted."
    r = server.post("/v1/check/document", json={"text": draft, "top_k": 2})
    assert r.status_code == 200, r.text
    first, second = r.json()["statements"]
    assert draft[first["start"] : first["end"]] == first["text"]
    assert first["checkworthiness"] >= 0.5, first
    assert first["result"]["evidence"][0]["stance"] == "supports"
    assert second["checkworthiness"] < 0.5 and second["result"] is None
    before = counts(server)
    problem(server.post("/v1/check/document", json={"text": draft, "as_of": "yesterday"}), 400)
    problem(server.post("/v1/check/document", json={"text": "Les rebelles du M23 ont pris la ville de Goma."}), 422)
    assert counts(server) == before


def test_as_of_keeps_what_was_published_by_then(server: httpx.Client) -> None:
    claim = {"claim": "The Kanyabayonga bridge was repaired", "top_k": 5}
    everything = server.post("/v1/check", json=claim).json()["evidence"]
    assert any(e["article"]["id"] == "later" for e in everything)
    then = server.post("/v1/check", json=claim | {"as_of": "2025-02-28"}).json()["evidence"]
    assert then and all(e["published_at"] <= "2025-02-28" for e in then if e["published_at"])
    assert not any(e["article"]["id"] == "later" for e in then)
    dated_only = server.post("/v1/check", json=claim | {"as_of": "2025-02-28", "undated": "exclude"}).json()
    assert all(e["published_at"] for e in dated_only["evidence"])  # the seed article has no date
    hits = server.get("/v1/search", params={"q": "Kanyabayonga bridge", "as_of": "2025-02-02"}).json()
    assert {h["article"]["id"] for h in hits["hits"]} <= {"wire-a", "294fb351d4f3dc25"}
    problem(server.post("/v1/check", json=claim | {"as_of": "2025-02-30"}), 400)
    problem(server.post("/v1/check", json=claim | {"undated": "maybe"}), 400)


def test_wire_copies_are_one_item_with_every_source(server: httpx.Client) -> None:
    r = server.post("/v1/check", json={"claim": "Shelling destroyed the Kanyabayonga bridge", "top_k": 3}).json()
    copies = [e for e in r["evidence"] if e["text"] == BRIDGE]
    assert len(copies) == 1
    assert {s["id"] for s in copies[0]["sources"]} == {"wire-a", "wire-b"}
    assert [e for e in r["evidence"] if e["stance"] == "supports"] == copies
    assert r["supporting_publishers"] == 1  # one origin, carried by two publishers


def test_claim_reviews_in_and_out(server: httpx.Client) -> None:
    before = counts(server)
    for bad in ({**REVIEW, "reviewRating": {"ratingValue": 5}}, {**REVIEW, "url": "ftp://x"}, {"@type": "Thing"}):
        problem(server.post("/v1/fact-checks", json=bad), 422)
    problem(server.post("/v1/fact-checks", content=b"{not json", headers={"content-type": "application/json"}), 400)
    assert counts(server) == before
    page = f'<html><script type="application/ld+json">{json.dumps(REVIEW)}</script></html>'
    r = server.post("/v1/fact-checks", content=page.encode(), headers={"content-type": "text/html"})
    assert r.status_code == 201 and r.json()["fact_checks"][0]["status"] == "created", r.text
    assert counts(server)["fact_checks"] == before["fact_checks"] + 1

    found = server.post("/v1/check", json={"claim": CLAIM}).json()["fact_checks"]
    assert [(f["reviewer"], f["rating"], f["url"]) for f in found] == [("Example Checks", "True", REVIEW["url"])]
    assert found[0]["similarity"] >= 0.85
    assert server.post("/v1/check", json={"claim": "The Eiffel Tower is in Paris"}).json()["fact_checks"] == []

    r = server.post("/v1/check", json={"claim": CLAIM}, headers={"accept": "application/ld+json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    review = r.json()
    assert review["@type"] == "ClaimReview" and review["claimReviewed"] == CLAIM
    assert review["reviewRating"]["alternateName"] == "supported" and review["reviewRating"]["ratingValue"] == 5
    assert review["author"]["name"] == "factdesk" and review["itemReviewed"]["@type"] == "Claim"


def test_a_claim_not_in_english_is_refused_unless_declared(server: httpx.Client) -> None:
    body = problem(server.post("/v1/check", json={"claim": "Die Rebellen haben die Stadt Goma eingenommen."}), 422)
    assert "English" in body["detail"]
    declared = {"claim": "Die Rebellen haben die Stadt Goma eingenommen.", "language": "en"}
    assert server.post("/v1/check", json=declared).status_code == 200
    problem(server.post("/v1/check", json=declared | {"language": "de"}), 400)


def test_check_doc_and_as_of_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--data-dir", str(tmp_path / "data"), "--quiet", "--stance", "cues"]
    articles = tmp_path / "wire.jsonl"
    articles.write_text("".join(json.dumps(a) + "\n" for a in WIRE))
    review = tmp_path / "review.json"
    review.write_text(json.dumps(REVIEW))
    assert main([*base, "ingest", str(articles), str(review)]) == 0
    assert "stored 1 fact-checks" in capsys.readouterr().err

    draft = tmp_path / "draft.txt"
    draft.write_text(f"{BRIDGE} We will keep you posted.\n")
    out = tmp_path / "result.json"
    assert main([*base, "check-doc", str(draft), "--out", str(out)]) == 0
    statements = json.loads(out.read_text())["statements"]
    assert statements[0]["result"]["evidence"][0]["text"] == BRIDGE and statements[1]["result"] is None
    assert main([*base, "check-doc", str(draft), "--format", "text"]) == 0
    assert BRIDGE in capsys.readouterr().out

    claims = tmp_path / "claims.txt"
    claims.write_text("The Kanyabayonga bridge was repaired\n")
    assert main([*base, "check", str(claims), "--as-of", "2025-02-28", "--top-k", "5"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["evidence"] and all(e["article"]["id"] != "later" for e in result["evidence"])

    for bad in (["check-doc", str(tmp_path / "missing.txt")], ["check", str(claims), "--as-of", "soon"]):
        assert main([*base, *bad]) != 0
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    assert main([*base, "check-doc", str(empty), "--out", str(tmp_path / "none.json")]) != 0
    assert not (tmp_path / "none.json").exists()
