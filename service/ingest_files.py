"""Reading articles and claims from files: the command line's input formats.

Articles: .jsonl (one a line), .json (one or a list, or {"articles": [...]}), .txt/.md (title from the file
name), .html/.htm (main text and metadata extracted with trafilatura); directories recursively.
Earlier fact-checks: a .json file of ClaimReview JSON-LD, or an .html page that embeds ClaimReviews.
Claims: JSONL `{id?, claim}`, CSV with a `claim` column (and optional `id`), or one claim a line.
Every problem is an `InputError` whose message names the file and line. Readers take `bad`, called with
each per-line (or per-file) error: the default raises it; `--skip-bad` collects and counts it instead.
"""

import csv
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec

from factdesk.index.errors import InvalidInput
from factdesk.index.factchecks import FactCheck, InvalidClaimReview, read_claim_reviews
from factdesk.index.ingest.articles import Article, InvalidArticle
from factdesk.service.outbound.netguard import NetPolicy, fetch_page
from factdesk.service.schemas.articles import ArticleIn, ArticleUpload
from factdesk.service.schemas.check import ClaimIn
from factdesk.service.schemas.common import is_blank

ARTICLE_SUFFIXES = (".jsonl", ".json", ".txt", ".md", ".html", ".htm")
MAX_LINE_BYTES = 8 * 2**20  # an article of MAX_ARTICLE_CHARS fits with room to spare


class InputError(InvalidInput):
    """Bad input file; the message is one line naming the file (and line)."""


def fail(error: InputError) -> None:
    raise error


class Skipped:
    """`bad` for --skip-bad: counts the errors and keeps the first few for the summary."""

    def __init__(self) -> None:
        self.count = 0
        self.examples: list[str] = []

    def __call__(self, error: InputError) -> None:
        self.count += 1
        if len(self.examples) < 3:
            self.examples.append(str(error))

    def summary(self, what: str) -> str:
        return f"skipped {self.count} bad {what}" + (f" (first: {self.examples[0]})" if self.examples else "")


def _check_binary(path: Path | str, data: bytes) -> None:
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: binary file, expected text")


def _decode_text(path: Path | str, data: bytes) -> str:
    _check_binary(path, data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text (byte {e.start})") from None


def _lines(path: Path | str, data: bytes, bad: Callable[[InputError], None]) -> Iterator[tuple[int, str]]:
    """(line number, text) of the non-blank lines, each decoded and size-checked on its own."""
    _check_binary(path, data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw in enumerate(data.split(b"\n"), 1):
        if len(raw) > MAX_LINE_BYTES:
            bad(InputError(f"{path}:{number}: line longer than {MAX_LINE_BYTES // 2**20} MiB"))
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            bad(InputError(f"{path}:{number}: not UTF-8 text (byte {e.start} of the line)"))
            continue
        if line.strip():
            yield number, line


def _article(path: Path | str, where: str, value: Any) -> Article:
    try:
        article = msgspec.convert(value, ArticleIn).to_article()
        article.validate()
    except (msgspec.ValidationError, InvalidArticle) as e:
        raise InputError(f"{path}{where}: {e}") from None
    return article


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest, directories walked recursively (sorted, known suffixes only)."""
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    return files


def read_articles(path: Path, bad: Callable[[InputError], None] = fail) -> list[Article]:
    """The file's articles; a bad line of a .jsonl goes to `bad`, any other problem raises."""
    suffix = path.suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise InputError(f"{path}: unsupported file type {suffix or '(none)'} (use {', '.join(ARTICLE_SUFFIXES)})")
    data = path.read_bytes()
    if suffix == ".jsonl":
        articles = []
        for number, line in _lines(path, data, bad):
            try:
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(f"{path}:{number}: invalid JSON ({e.msg})") from None
                articles.append(_article(path, f":{number}", value))
            except InputError as e:
                bad(e)
        if not articles:
            raise InputError(f"{path}: no articles in file")
        return articles
    text = _decode_text(path, data)
    if suffix == ".json":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{e.lineno}: invalid JSON ({e.msg})") from None
        if isinstance(value, dict) and "articles" in value:
            try:
                return msgspec.convert(value, ArticleUpload).to_articles()
            except (msgspec.ValidationError, InvalidInput) as e:
                raise InputError(f"{path}: {e}") from None
        items = value if isinstance(value, list) else [value]
        if not items:
            raise InputError(f"{path}: no articles in file")
        return [_article(path, f"[{i}]" if isinstance(value, list) else "", v) for i, v in enumerate(items)]
    if suffix in (".html", ".htm"):
        return [_article(path, "", _from_html(path, text))]
    if not text.strip():
        raise InputError(f"{path}: empty file")
    return [_article(path, "", {"text": text, "title": path.stem.replace("_", " ").replace("-", " ")})]


def read_fact_checks(path: Path) -> list[FactCheck] | None:
    """The ClaimReviews of a .json or .html file that holds them; None for any other file (an article)."""
    if path.suffix.lower() not in (".json", ".html", ".htm"):
        return None
    text = _decode_text(path, path.read_bytes())
    if "ClaimReview" not in text:
        return None
    try:
        return read_claim_reviews(text)
    except InvalidClaimReview as e:
        raise InputError(f"{path}: {e}") from None


def _from_html(path: Path, html: str) -> dict[str, Any]:
    fields = html_fields(html)
    if fields is None:
        raise InputError(f"{path}: no article text found in HTML")
    return fields | {"title": fields["title"] or path.stem}


def html_fields(html: str | bytes, url: str | None = None) -> dict[str, Any] | None:
    """An article's text and metadata from a web page (trafilatura); None when it finds no article text."""
    import trafilatura

    # bare_extraction, not extract(output_format="json"): the JSON output leaves out the site name
    found = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if found is None or isinstance(found, dict) or not (found.text or found.raw_text):
        return None
    return {
        "text": found.text or found.raw_text,
        "title": found.title or None,
        "url": found.url or url,
        "publisher": found.sitename or found.hostname or None,
        "author": found.author or None,
        "published_at": found.date or None,
        "language": found.language or None,
    }


def read_url(url: str, policy: NetPolicy, given: dict[str, Any] | None = None) -> Article:
    """The article at `url`, fetched under `policy`; fields in `given` (id, title, ...) win over the page's.

    FetchError when the page is not fetched, InputError when it holds no article.
    """
    page = fetch_page(url, policy)
    if page.content_type == "text/plain":
        text = page.body.decode(page.charset or "utf-8", errors="replace")
        fields: dict[str, Any] = {"text": text, "url": page.url, "publisher": httpx.URL(page.url).host}
    else:
        # without a charset in the header, trafilatura reads the bytes' own <meta charset>
        found = html_fields(page.body.decode(page.charset, errors="replace") if page.charset else page.body, page.url)
        if found is None:
            raise InputError(f"{url}: no article text found in the page")
        fields = found | {"url": page.url}
    fields |= {k: v for k, v in (given or {}).items() if v is not None}
    return _article(url, "", fields)


def read_claims(data: bytes, name: str, bad: Callable[[InputError], None] = fail) -> Iterator[ClaimIn]:
    """Claims from JSONL, CSV (a `claim` column) or plain text (one a line); format from content."""
    rest = _lines(name, data, bad)  # lazily: errors surface in file order
    head = next(rest, None)
    if head is None:
        raise InputError(f"{name}: no claims in input")
    lines = itertools.chain([head], rest)
    first = head[1]
    if first.lstrip().startswith("{"):
        parse = _json_claim
    elif name.lower().endswith(".csv") or "claim" in [c.strip().lower() for c in next(csv.reader([first]))]:
        yield from _csv_claims(lines, name, bad)
        return
    else:
        parse = _line_claim
    for number, line in lines:
        try:
            yield _claim(name, number, parse(name, number, line))
        except InputError as e:
            bad(e)


def _claim(name: str, number: int, value: Any) -> ClaimIn:
    try:
        claim = msgspec.convert(value, ClaimIn)
    except msgspec.ValidationError as e:
        raise InputError(f"{name}:{number}: {e}") from None
    if is_blank(claim.claim):
        raise InputError(f"{name}:{number}: claim is blank")
    return claim


def _line_claim(name: str, number: int, line: str) -> dict[str, Any]:
    return {"claim": line.strip()}


def _json_claim(name: str, number: int, line: str) -> Any:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"{name}:{number}: invalid JSON ({e.msg})") from None
    if isinstance(value, dict) and value.get("id") is not None:
        value["id"] = str(value["id"])
    return value


def _csv_claims(lines: Iterable[tuple[int, str]], name: str, bad: Callable[[InputError], None]) -> Iterator[ClaimIn]:
    at = [0]  # the input line the reader has reached: a row's number is that of its last line

    def feed() -> Iterator[str]:
        for number, line in lines:
            at[0] = number
            yield line + "\n"

    reader = csv.reader(feed())
    fields = {f.strip().lower(): i for i, f in enumerate(next(reader))}
    if "claim" not in fields:
        raise InputError(f"{name}: CSV needs a 'claim' column")
    while True:
        try:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise InputError(f"{name}:{at[0]}: bad CSV ({e})") from None
            value = {"claim": row[fields["claim"]].strip() if len(row) > fields["claim"] else ""}
            if "id" in fields and len(row) > fields["id"] and row[fields["id"]]:
                value["id"] = row[fields["id"]]
            yield _claim(name, at[0], value)
        except InputError as e:
            bad(e)
