"""Commands that read the archive: check claims, check a draft, search statements."""

import argparse
import csv
import sys
from typing import Any

import msgspec
from tqdm import tqdm

from factdesk.index.check import MAX_TOP_K
from factdesk.index.drafts import MAX_DOCUMENT_CHECKS
from factdesk.index.errors import InvalidInput
from factdesk.index.ingest.articles import MAX_ARTICLE_CHARS
from factdesk.service.cli.common import archive, atomic_output, read_input, share, time_limit, time_options
from factdesk.service.ingest_files import Skipped, fail, read_claims
from factdesk.service.schemas.check import check_response, document_response
from factdesk.service.schemas.common import is_blank
from factdesk.service.schemas.search import search_hit

CSV_COLUMNS = (
    "id",
    "claim",
    "verdict",
    "confidence",
    "supporting_publishers",
    "conflicting_publishers",
    "top_stance",
    "top_similarity",
    "top_statement",
    "top_article_id",
    "top_url",
)


def cmd_check(args: argparse.Namespace) -> None:
    data, name = read_input(args.file)
    skipped = Skipped() if args.skip_bad else None
    claims = list(read_claims(data, name, skipped or fail))  # all of it is validated before any output
    if skipped and skipped.count:
        print(f"factdesk check: {skipped.summary('lines')}", file=sys.stderr)
    if not claims:
        raise InvalidInput(f"{name}: no valid claims")
    opened = archive(args)
    encoder = msgspec.json.Encoder()
    with atomic_output(args.out) as out:
        writer = csv.writer(out) if args.format == "csv" else None
        if writer:
            writer.writerow(CSV_COLUMNS)
        checked = opened.check_many((c.claim for c in claims), args.top_k, limit=time_limit(args))
        progress = tqdm(checked, total=len(claims), desc="check", unit="claim", disable=args.quiet)
        for c, checked_claim in zip(claims, progress, strict=True):
            result = check_response(checked_claim, c.id)
            if writer:
                top = result.evidence[0] if result.evidence else None
                fields = (top.stance, top.similarity, top.text, top.article.id, top.article.url or "") if top else ()
                writer.writerow(
                    [
                        c.id or "",
                        c.claim,
                        result.verdict,
                        result.confidence,
                        result.supporting_publishers,
                        result.conflicting_publishers,
                        *(fields or [""] * 5),
                    ]
                )
            else:
                out.write(encoder.encode(result).decode() + "\n")
            if out is sys.stdout:
                out.flush()


def cmd_search(args: argparse.Namespace) -> None:
    opened = archive(args)
    for e in opened.retrieve(args.query, args.k, limit=time_limit(args)):
        hit = search_hit(e)
        if args.json:
            print(msgspec.json.encode(hit).decode())
        else:
            source = e.article.title or e.article.id
            print(f"{hit.score:.3f}  {hit.text}  [{source} {hit.start}:{hit.end}]")


def _draft(file: str | None) -> str:
    data, name = read_input(file)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name}: not UTF-8 text") from None
    if is_blank(text):
        raise InvalidInput(f"{name}: empty draft")
    if len(text) > MAX_ARTICLE_CHARS:
        raise InvalidInput(f"{name}: {len(text)} characters, at most {MAX_ARTICLE_CHARS} in one draft")
    return text


def cmd_check_doc(args: argparse.Namespace) -> None:
    text = _draft(args.file)
    limit = time_limit(args)
    opened = archive(args)
    with tqdm(desc="check", unit="statement", disable=args.quiet) as bar:

        def progress(n: int) -> None:
            if bar.total is None:
                bar.reset(total=n)
            else:
                bar.update(n)

        level = opened.checkworthiness.default_level if args.min_checkworthiness is None else args.min_checkworthiness
        statements = opened.check_document(text, args.top_k, level, limit=limit, progress=progress)
    response = document_response(statements, level)
    if response.left_unchecked:
        print(
            f"{response.left_unchecked} check-worthy statements left unchecked: at most {MAX_DOCUMENT_CHECKS} are "
            "checked in one draft, the most check-worthy first (split the draft or check them as a batch)",
            file=sys.stderr,
        )
    with atomic_output(args.out) as out:
        if args.format == "json":
            out.write(msgspec.json.encode(response).decode() + "\n")
            return
        for s in response.statements:
            verdict = f"{s.result.verdict} {s.result.confidence:.2f}" if s.result else "(not checked)"
            out.write(f"{s.position:>4}  {verdict:<27}  {s.text}\n")


def _top_k(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--top-k", type=int, default=5, choices=range(1, MAX_TOP_K + 1), metavar="N", help=help)


def add_check(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="check claims from a file or stdin",
        description="Input: JSONL {id?, claim}, CSV with a 'claim' column, or one claim a line. "
        "Output: one result a line, in input order, id echoed.",
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="claims file, or - for stdin (default)")
    p.add_argument("--out", help="write results here (atomically) instead of stdout")
    _top_k(p, "evidence statements per claim, 1-50 (default 5)")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format (default jsonl)")
    p.add_argument("--skip-bad", action="store_true", help="skip bad lines (counted) instead of stopping")
    time_options(p)
    p.set_defaults(run=cmd_check)


def add_check_doc(sub: Any) -> None:
    p = sub.add_parser(
        "check-doc",
        help="check a whole draft: every statement, and the check-worthy ones checked",
        description="Split a draft (UTF-8 text) into statements with offsets, speaker and check-worthiness, and "
        "check each statement scoring at least --min-checkworthiness against the archive (reported speech: "
        "what it reports). Output: the JSON of POST /v1/check/document, or a line per statement (--format text).",
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="the draft, or - for stdin (default)")
    p.add_argument("--out", help="write the result here (atomically) instead of stdout")
    _top_k(p, "evidence per statement")
    p.add_argument(
        "--min-checkworthiness",
        type=share,
        default=None,
        metavar="S",
        help="check statements whose check-worthiness (the probability an annotator would call them check-worthy) "
        "is at least S, 0-1 (default: the model's level)",
    )
    p.add_argument("--format", choices=("json", "text"), default="json", help="output format (default json)")
    time_options(p)
    p.set_defaults(run=cmd_check_doc)


def add_search(sub: Any) -> None:
    p = sub.add_parser("search", help="nearest statements for a query, with sources (no stance)")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=10, choices=range(1, 51), metavar="K", help="how many (default 10)")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    time_options(p)
    p.set_defaults(run=cmd_search)
