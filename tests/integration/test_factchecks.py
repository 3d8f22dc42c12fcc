"""Earlier fact-checks in (ClaimReview JSON-LD, a page embedding it) and a check out as a ClaimReview draft."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from problems import assert_problem

from factdesk.index.archive import Archive
from factdesk.index.errors import InvalidInput
from factdesk.index.factchecks import InvalidClaimReview, problems, read_claim_reviews
from factdesk.index.ingest.articles import Article
from factdesk.index.settings import Settings, parse_public_url
from factdesk.service.api import create_app

pytestmark = pytest.mark.anyio
REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "claimReviewed": "M23 rebels captured Goma in January 2025",
    "url": "https://factcheck.example/goma",
    "author": {"@type": "Organization", "name": "Example Check"},
    "datePublished": "2025-01-28",
    "reviewRating": {"@type": "Rating", "ratingValue": 5, "bestRating": 5, "worstRating": 1, "alternateName": "True"},
    "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "A. Spokesperson"}},
}
OTHER = REVIEW | {"claimReviewed": "Kagame refused any ceasefire talks", "url": "https://factcheck.example/kagame"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(seeded: Archive, tmp_path: Path) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(data_dir=tmp_path, organization="The Desk", public_url="https://desk.example.org")
    async with AsyncTestClient(create_app(settings, archive=seeded)) as c:
        yield c


def test_reads_one_a_list_a_graph_and_a_page() -> None:
    assert [c.claim_reviewed for c in read_claim_reviews(json.dumps(REVIEW))] == [REVIEW["claimReviewed"]]
    assert len(read_claim_reviews(json.dumps([REVIEW, OTHER]))) == 2
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, OTHER]}
    assert [c.url for c in read_claim_reviews(json.dumps(graph))] == [OTHER["url"]]
    page = (
        '<html><head><script type="application/ld+json">{broken</script>'
        f'<script type="application/ld+json">{json.dumps(REVIEW)}</script></head><body>Text</body></html>'
    )
    (check,) = read_claim_reviews(page)
    assert (check.rating, check.rating_value, check.reviewer, check.claimant) == (
        "True",
        5.0,
        "Example Check",
        "A. Spokesperson",
    )


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"claimReviewed": ""}, "claimReviewed"),
        ({"url": "ftp://factcheck.example/x"}, "url"),
        ({"reviewRating": {"ratingValue": 1}}, "alternateName"),
        ({"reviewRating": REVIEW["reviewRating"] | {"ratingValue": 9}}, "between"),
        ({"reviewRating": REVIEW["reviewRating"] | {"ratingValue": "high"}}, "number"),
        ({"author": {"@type": "Organization"}}, "author"),
        ({"itemReviewed": {"@type": "Movie"}}, "Claim"),
    ],
)
def test_malformed_claim_reviews_are_refused(broken: dict, reason: str) -> None:
    with pytest.raises(InvalidClaimReview, match=reason):
        read_claim_reviews(json.dumps(REVIEW | broken))


def test_nothing_to_read_is_refused() -> None:
    for text in ('{"@type": "NewsArticle"}', "<html><body>no markup</body></html>", "{not json"):
        with pytest.raises(InvalidClaimReview):
            read_claim_reviews(text)


async def test_stored_fact_checks_come_with_every_matching_check(client: AsyncTestClient) -> None:
    r = await client.post(
        "/v1/fact-checks", content=json.dumps([REVIEW, OTHER]), headers={"content-type": "application/ld+json"}
    )
    assert r.status_code == 201, r.text
    assert [c["status"] for c in r.json()["fact_checks"]] == ["created", "created"]
    again = await client.post(
        "/v1/fact-checks", content=json.dumps(REVIEW), headers={"content-type": "application/json"}
    )
    assert [c["status"] for c in again.json()["fact_checks"]] == ["unchanged"]
    body = (await client.post("/v1/check", json={"claim": "M23 rebels have captured Goma"})).json()
    (match,) = body["fact_checks"]
    assert match["url"] == REVIEW["url"] and match["rating"] == "True" and match["reviewer"] == "Example Check"
    assert match["similarity"] >= 0.85
    unrelated = (await client.post("/v1/check", json={"claim": "Fifteen civilians were injured in Rubavu"})).json()
    assert unrelated["fact_checks"] == []
    before = await client.post("/v1/check", json={"claim": "M23 rebels have captured Goma", "as_of": "2025-01-27"})
    assert before.json()["fact_checks"] == []  # reviewed a day later
    assert (await client.get("/health")).json()["fact_checks"] == 2


def rated(value: float, best: float, worst: float) -> dict[str, object]:
    return {"@type": "Rating", "ratingValue": value, "bestRating": best, "worstRating": worst, "alternateName": "?"}


async def test_bad_fact_checks_are_problems_and_change_nothing(client: AsyncTestClient) -> None:
    for body, kind, status in [
        (json.dumps({"@type": "ClaimReview", "claimReviewed": "x"}), "application/ld+json", 422),
        ("<html><body>nothing here</body></html>", "text/html", 422),
        (b"\xff\xfe", "application/json", 400),
        ('{"@type": "ClaimReview",', "application/json", 400),
        ("[" * 600 + "]" * 600, "application/json", 400),  # deeper than any parser's stack should go
        (json.dumps({"@graph": json.loads("[" * 300 + "{}" + "]" * 300)}), "application/ld+json", 400),
        (json.dumps(REVIEW), "text/plain", 415),
        (json.dumps(REVIEW | {"claimReviewed": "x" * 100_000}), "application/json", 422),
        (json.dumps(REVIEW | {"datePublished": "last Tuesday"}), "application/json", 422),
        (json.dumps(REVIEW | {"datePublished": "2025-02-30"}), "application/json", 422),
        (json.dumps(REVIEW | {"reviewRating": rated(0, 0, 0)}), "application/json", 422),
        (json.dumps(REVIEW | {"reviewRating": rated(6, 5, 1)}), "application/json", 422),
        (json.dumps(REVIEW | {"reviewRating": rated(1, 1, 5)}), "application/json", 422),
        (json.dumps(REVIEW | {"author": {"name": "y" * 1_000}}), "application/json", 422),
    ]:
        r = await client.post("/v1/fact-checks", content=body, headers={"content-type": kind})
        assert assert_problem(r, status)["detail"]
    assert (await client.get("/health")).json()["fact_checks"] == 0


async def test_check_as_claim_review_meets_googles_requirements(client: AsyncTestClient) -> None:
    r = await client.post(
        "/v1/check", json={"claim": "M23 rebels have captured Goma"}, headers={"accept": "application/ld+json"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    review = r.json()
    assert problems(review) == []
    assert review["author"] == {"@type": "Organization", "name": "The Desk"}
    assert review["reviewRating"]["alternateName"] == "supported" and review["reviewRating"]["ratingValue"] == 5
    assert review["url"] == "https://desk.example.org/?claim=M23+rebels+have+captured+Goma"
    assert review["itemReviewed"]["@type"] == "Claim"
    # what factdesk writes, it reads back
    (read,) = read_claim_reviews(r.text)
    assert read.claim_reviewed == "M23 rebels have captured Goma" and read.rating == "supported"
    plain = await client.post("/v1/check", json={"claim": "M23 rebels have captured Goma"})
    assert plain.headers["content-type"].startswith("application/json") and "verdict" in plain.json()


async def test_a_draft_url_comes_from_the_public_address_never_the_host_header(seeded: Archive, tmp_path: Path) -> None:
    claim = {"claim": "M23 rebels have captured Goma"}
    headers = {"accept": "application/ld+json", "host": "attacker.example"}
    async with AsyncTestClient(create_app(Settings(data_dir=tmp_path), archive=seeded)) as plain:
        review = (await plain.post("/v1/check", json=claim, headers=headers)).json()
    assert "url" not in review and "attacker" not in json.dumps(review)
    assert problems(review) == ["url (the http(s) address of the fact-check) is required"]
    with pytest.raises(InvalidInput, match="http"):
        Settings(data_dir=tmp_path, public_url=parse_public_url("desk.example.org"))
    assert parse_public_url("https://desk.example.org/") == "https://desk.example.org"


async def test_not_enough_evidence_is_a_textual_rating(client: AsyncTestClient) -> None:
    r = await client.post(
        "/v1/check", json={"claim": "The price of cocoa doubled in Ghana"}, headers={"accept": "application/ld+json"}
    )
    review = r.json()
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "not_enough_evidence"}
    assert problems(review) == []


async def test_claims_not_in_english_are_refused(client: AsyncTestClient) -> None:
    body = assert_problem(
        await client.post("/v1/check", json={"claim": "Les rebelles du M23 ont pris la ville de Goma."}), 422
    )
    assert "'fr'" in body["detail"] and "English" in body["detail"]
    declared_other = {"claim": "M23 rebels have captured Goma", "language": "fr"}
    assert "language" in str(assert_problem(await client.post("/v1/check", json=declared_other), 400))
    declared = await client.post("/v1/check", json={"claim": "Goma est tombée", "language": "en"})
    assert declared.status_code == 200  # the caller says it is English: checked as such
    batch = {"claims": [{"claim": "M23 rebels have captured Goma"}, {"claim": "Die Rebellen haben Goma eingenommen."}]}
    assert "claim 1" in assert_problem(await client.post("/v1/check/batch", json=batch), 422)["detail"]
    draft = {"text": "Los rebeldes del M23 han capturado Goma. Quince civiles resultaron heridos en Rubavu."}
    assert_problem(await client.post("/v1/check/document", json=draft), 422)


def test_languages_are_detected(archive: Archive) -> None:
    from factdesk.index.ingest.language import detect_language, not_english

    fixtures = json.loads(
        (Path(__file__).resolve().parents[1] / "fixtures" / "languages.json").read_text(encoding="utf-8")
    )
    for code, texts in fixtures.items():
        if code != "note":
            assert all(not detect_language(t).is_english and not_english(t) for t in texts), code
    assert detect_language("15 civilians were injured in Rubavu").is_english
    # English that reads as another language whole (names) or without its names (technical terms)
    for english in (
        "Rebels captured Rwasozi on Sunday, Amina Nsengiyumva-Mukamana told reporters.",
        "Rebels captured Rwambi on Monday, Jean Mukamana-Niyonzima told reporters.",
        "Chadox1 ncov-19 vaccine induces sars-cov-2 pneumonia in rhesus macaques",
    ):
        assert not_english(english) is None, english
    archive.ingest([Article("Les rebelles ont pris Goma hier soir.", id="fr")])
    assert archive.article("fr")[0].language == "fr"
    assert archive.ingest([Article("Les rebelles ont pris Goma hier soir.", id="fr")])[0].status == "unchanged"
