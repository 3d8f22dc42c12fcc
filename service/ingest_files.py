"""Reading articles and claims from files: the command line's input formats.

Articles: .jsonl (one a line), .json (one or a list, or {"articles": [...]}), .txt/.md (title from the file
name), .html/.htm (main text and metadata extracted with trafilatura); directories recursively.
Claims: JSONL `{id?, claim}`, CSV with a `claim` column (and optional `id`), or one claim a line.
Every problem is an `InputError` whose message names the file and line.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from index.archive import Article, InvalidArticle
from service.schemas import ArticleIn, ArticleUpload, ClaimIn

ARTICLE_SUFFIXES = (".jsonl", ".json", ".txt", ".md", ".html", ".htm")


class InputError(ValueError):
    """Bad input file; the message is one line naming the file (and line)."""


def _decode_text(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: binary file, expected text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start})") from None


def _article(path: Path, where: str, value: Any) -> Article:
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


def read_articles(path: Path) -> list[Article]:
    suffix = path.suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise InputError(f"{path}: unsupported file type {suffix or '(none)'} (use {', '.join(ARTICLE_SUFFIXES)})")
    text = _decode_text(path, path.read_bytes())
    if suffix == ".jsonl":
        articles = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(f"{path}:{number}: invalid JSON ({e.msg})") from None
                articles.append(_article(path, f":{number}", value))
        if not articles:
            raise InputError(f"{path}: no articles in file")
        return articles
    if suffix == ".json":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{e.lineno}: invalid JSON ({e.msg})") from None
        if isinstance(value, dict) and "articles" in value:
            try:
                return msgspec.convert(value, ArticleUpload).to_articles()
            except (msgspec.ValidationError, ValueError) as e:
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


def _from_html(path: Path, html: str) -> dict[str, Any]:
    import trafilatura

    extracted = trafilatura.extract(html, output_format="json", with_metadata=True, include_comments=False)
    if not extracted:
        raise InputError(f"{path}: no article text found in HTML")
    meta = json.loads(extracted)
    return {
        "text": meta.get("text") or meta.get("raw_text") or "",
        "title": meta.get("title") or path.stem,
        "url": meta.get("source") or None,
        "publisher": meta.get("sitename") or meta.get("hostname") or None,
        "author": meta.get("author") or None,
        "published_at": meta.get("date") or None,
        "language": meta.get("language") or None,
    }


def read_claims(data: bytes, name: str) -> Iterator[ClaimIn]:
    """Claims from JSONL, CSV (a `claim` column) or plain text (one a line); format from content."""
    text = _decode_text(Path(name), data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise InputError(f"{name}: no claims in input")
    if first.lstrip().startswith("{"):
        yield from _jsonl_claims(lines, name)
    elif name.lower().endswith(".csv") or "claim" in [c.strip().lower() for c in next(csv.reader([first]))]:
        yield from _csv_claims(text, name)
    else:
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield _claim(name, number, {"claim": line.strip()})


def _claim(name: str, number: int, value: Any) -> ClaimIn:
    try:
        claim = msgspec.convert(value, ClaimIn)
    except msgspec.ValidationError as e:
        raise InputError(f"{name}:{number}: {e}") from None
    if not claim.claim.strip():
        raise InputError(f"{name}:{number}: claim is blank")
    return claim


def _jsonl_claims(lines: list[str], name: str) -> Iterator[ClaimIn]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{name}:{number}: invalid JSON ({e.msg})") from None
        if isinstance(value, dict) and value.get("id") is not None:
            value["id"] = str(value["id"])
        yield _claim(name, number, value)


def _csv_claims(text: str, name: str) -> Iterator[ClaimIn]:
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip().lower(): f for f in reader.fieldnames or []}
    if "claim" not in fields:
        raise InputError(f"{name}: CSV needs a 'claim' column")
    for row in reader:
        number = reader.line_num
        value = {"claim": (row.get(fields["claim"]) or "").strip()}
        if "id" in fields and row.get(fields["id"]):
            value["id"] = row[fields["id"]]
        yield _claim(name, number, value)
