"""Earlier fact-checks as schema.org ClaimReview: read them (JSON-LD, as given or in a web page), check them
against Google's requirements for ClaimReview markup, and write a check's verdict as a ClaimReview draft.

Google's requirements (Search Central, "Fact check (ClaimReview) structured data"): `claimReviewed`, `url` and
`reviewRating` with a textual `alternateName` are required; a numeric `ratingValue` lies between `worstRating`
and `bestRating`; `author` is an Organization or Person with a `name`; `itemReviewed` is a `Claim`.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from factdesk.index.errors import InvalidInput, Unreadable

OPEN_LIST, CLOSE_LIST, OPEN_OBJECT, CLOSE_OBJECT = b"[]{}"
NOT_MARKS = bytes(b for b in range(256) if b not in b'"[]{}')

# cosine of two claims' vectors from which an earlier review of one is shown for the other
# (benchmarks/fact_check_match.py, figures in docs/benchmarks.md)
MATCH = 0.85
# ratings of factdesk's verdicts on a 1-5 scale; not_enough_evidence has only its textual rating
RATING_VALUES = {"refuted": 1, "conflicting": 3, "supported": 5}
BEST, WORST = 5, 1
MAX_CLAIM_CHARS = 2_000  # a reviewed claim, as a checked one (service.schemas)
MAX_NAME_CHARS = 300  # a rating's text, an author's name
MAX_URL_CHARS = 2_000
MAX_DEPTH = 64  # nesting of a JSON document: ClaimReviews need a handful of levels, a parser's stack no more


class InvalidClaimReview(InvalidInput):
    """Not a ClaimReview Google would accept (the message says what is missing)."""


class NotJSON(Unreadable, InvalidClaimReview):
    """The text looked like JSON-LD but does not parse (or nests deeper than MAX_DEPTH)."""


def json_depth(text: str | bytes) -> int:
    """How deep a JSON text's arrays and objects nest, counted without parsing it (strings skipped)."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    # escaped backslashes and quotes out, then only quotes and brackets kept: the even pieces between quotes
    # are what lies outside strings
    marks = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, NOT_MARKS)
    outside = np.frombuffer(b"".join(marks.split(b'"')[::2]), dtype=np.uint8)
    steps = ((outside == OPEN_LIST) | (outside == OPEN_OBJECT)).astype(np.int32)
    steps -= (outside == CLOSE_LIST) | (outside == CLOSE_OBJECT)
    return int(np.cumsum(steps).max(initial=0))


def load_json(text: str) -> Any:
    """`json.loads`, refusing (NotJSON) a document nested deeper than MAX_DEPTH before parsing it."""
    if json_depth(text) > MAX_DEPTH:
        raise NotJSON(f"JSON nested more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise NotJSON(f"not JSON: {e}") from None


@dataclass(frozen=True, slots=True)
class FactCheck:
    id: str
    claim_reviewed: str
    rating: str  # the textual rating (alternateName), e.g. "False", "Mostly true"
    url: str
    reviewer: str | None = None
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    date_published: str | None = None
    claimant: str | None = None  # who made the claim (itemReviewed.author)
    language: str | None = None


@dataclass(frozen=True, slots=True)
class FactCheckMatch:
    fact_check: FactCheck
    similarity: float  # of its claim to the checked one


def _type_of(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    return {t.rsplit("/", 1)[-1] for t in ([kind] if isinstance(kind, str) else kind) if isinstance(t, str)}


def _nodes(data: Any) -> list[dict[str, Any]]:
    """Every object in a JSON-LD document: top level, lists and `@graph`."""
    if isinstance(data, list):
        return [n for item in data for n in _nodes(item)]
    if not isinstance(data, dict):
        return []
    return [data, *_nodes(data.get("@graph", []))]


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("Name")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _number(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidClaimReview(f"reviewRating.{field} must be a number, not {value!r}") from None


def _iso_date(value: Any) -> bool:
    """An ISO 8601 date (2025-01-28) or date-time (2025-01-28T10:00:00Z, with or without an offset)."""
    if not isinstance(value, str) or len(value) > 64:
        return False
    text = value.strip()
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def problems(node: dict[str, Any]) -> list[str]:
    """Why a ClaimReview object would not pass Google's requirements (empty: it would)."""
    found = []
    if "ClaimReview" not in _type_of(node):
        found.append("@type must be ClaimReview")
    claim = node.get("claimReviewed")
    if not isinstance(claim, str) or not claim.strip():
        found.append("claimReviewed (the claim, as text) is required")
    elif len(claim.strip()) > MAX_CLAIM_CHARS:
        found.append(f"claimReviewed is longer than {MAX_CLAIM_CHARS} characters")
    if not _http_url(node.get("url")):
        found.append("url (the http(s) address of the fact-check) is required")
    elif len(node["url"]) > MAX_URL_CHARS:
        found.append(f"url is longer than {MAX_URL_CHARS} characters")
    published = node.get("datePublished")
    if published is not None and not _iso_date(published):
        found.append("datePublished must be an ISO 8601 date or date-time (2025-01-28, 2025-01-28T10:00:00Z)")
    rating = node.get("reviewRating")
    if not isinstance(rating, dict):
        found.append("reviewRating is required")
    else:
        if not isinstance(rating.get("alternateName"), str) or not rating["alternateName"].strip():
            found.append("reviewRating.alternateName (the rating as text) is required")
        elif len(rating["alternateName"].strip()) > MAX_NAME_CHARS:
            found.append(f"reviewRating.alternateName is longer than {MAX_NAME_CHARS} characters")
        try:
            value, best, worst = (_number(rating.get(f), f) for f in ("ratingValue", "bestRating", "worstRating"))
        except InvalidClaimReview as e:
            found.append(str(e))
        else:
            # schema.org's defaults: a scale of 1 to 5
            low, high = worst if worst is not None else 1.0, best if best is not None else 5.0
            if not low < high:
                found.append("reviewRating.worstRating must be below bestRating")
            elif value is not None and not low <= value <= high:
                found.append("reviewRating.ratingValue must lie between worstRating and bestRating")
    author = node.get("author")
    if author is not None and (not isinstance(author, dict | list) or not _name(author)):
        found.append("author must be an Organization or Person with a name")
    elif author is not None and len(_name(author) or "") > MAX_NAME_CHARS:
        found.append(f"author's name is longer than {MAX_NAME_CHARS} characters")
    item = node.get("itemReviewed")
    if item is not None and (not isinstance(item, dict) or ("Claim" not in _type_of(item) and "@type" in item)):
        found.append("itemReviewed must be a Claim")
    return found


def parse_claim_review(node: dict[str, Any]) -> FactCheck:
    """One ClaimReview object as a FactCheck; raises InvalidClaimReview naming every problem."""
    found = problems(node)
    if found:
        raise InvalidClaimReview("not a valid ClaimReview: " + "; ".join(found))
    rating = node["reviewRating"]
    item = node.get("itemReviewed") if isinstance(node.get("itemReviewed"), dict) else {}
    url = node["url"].strip()
    published = node.get("datePublished")
    language = node.get("inLanguage")
    return FactCheck(
        id=hashlib.sha256(f"claimreview:{url}|{node['claimReviewed'].strip()}".encode()).hexdigest()[:16],
        claim_reviewed=node["claimReviewed"].strip(),
        rating=rating["alternateName"].strip(),
        url=url,
        reviewer=_name(node.get("author")),
        rating_value=_number(rating.get("ratingValue"), "ratingValue"),
        best_rating=_number(rating.get("bestRating"), "bestRating"),
        worst_rating=_number(rating.get("worstRating"), "worstRating"),
        date_published=published.strip() if isinstance(published, str) and published.strip() else None,
        claimant=_name(item.get("author")),
        language=_name(language) if isinstance(language, dict) else language if isinstance(language, str) else None,
    )


class _JsonLdScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = (dict(attrs).get("type") or "").split(";")[0].strip().lower()
        self._inside = tag == "script" and kind == "application/ld+json"
        if self._inside:
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.blocks[-1] += data


def claim_reviews(data: Any) -> list[FactCheck]:
    """The ClaimReviews of a JSON-LD document (one object, a list, or a `@graph`); raises InvalidClaimReview when
    there is none or one of them is malformed."""
    nodes = [n for n in _nodes(data) if "ClaimReview" in _type_of(n)]
    if not nodes:
        raise InvalidClaimReview('no ClaimReview found (a JSON-LD object with "@type": "ClaimReview")')
    return [parse_claim_review(n) for n in nodes]


def claim_reviews_in_page(html: str) -> list[FactCheck]:
    """The ClaimReviews in a web page's `<script type="application/ld+json">` blocks."""
    parser = _JsonLdScripts()
    parser.feed(html)
    documents = []
    for block in parser.blocks:
        try:
            documents.append(load_json(block))
        except NotJSON:
            continue  # pages carry other, sometimes broken, JSON-LD; only ClaimReviews matter here
    return claim_reviews(documents)


def read_claim_reviews(text: str) -> list[FactCheck]:
    """ClaimReviews from JSON-LD text or from an HTML page that embeds them."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return claim_reviews(load_json(stripped))
    return claim_reviews_in_page(text)


def claim_review(
    claim: str,
    verdict: str,
    confidence: float,
    appearances: list[dict[str, str]],
    review_url: str | None,
    organization: str,
    today: date | None = None,
) -> dict[str, Any]:
    """A ClaimReview draft of a check: the verdict as the rating, the evidence articles as the claim's
    appearances (`{"url", "headline"?, "publisher"?, "datePublished"?}`)."""
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": verdict}
    if verdict in RATING_VALUES:
        rating |= {"ratingValue": RATING_VALUES[verdict], "bestRating": BEST, "worstRating": WORST}
    item: dict[str, Any] = {"@type": "Claim", "name": claim}
    works = [{"@type": "CreativeWork", **{k: v for k, v in a.items() if v}} for a in appearances if a.get("url")]
    if works:
        item["appearance"] = works
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": claim,
        **({"url": review_url} if review_url else {}),
        "datePublished": (today or date.today()).isoformat(),
        "author": {"@type": "Organization", "name": organization},
        "reviewRating": rating,
        "itemReviewed": item,
        "description": f"factdesk verdict {verdict} with confidence {confidence:.2f} (a draft for a fact-checker)",
    }
