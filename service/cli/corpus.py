"""Commands that change or describe the archive: ingest, stats, delete, reindex, rescore."""

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tqdm import tqdm

from factdesk.index.archive import Archive
from factdesk.index.errors import InvalidInput, NotFound
from factdesk.index.factchecks import FactCheck
from factdesk.service.cli.common import archive, net_policy
from factdesk.service.ingest_files import InputError, Skipped, expand, fail, read_articles, read_fact_checks, read_url


def cmd_ingest(args: argparse.Namespace) -> None:
    urls = [p for p in args.paths if "://" in p]  # a page to fetch, checked by service/outbound/netguard.py
    policy = net_policy(args.settings) if urls else None
    fetched = [read_url(url, policy) for url in urls] if policy else []
    files = expand(Path(p) for p in args.paths if p not in urls)
    if not files and not fetched:
        raise InvalidInput("no ingestible files found (.jsonl .json .txt .md .html)")
    fact_checks = []
    for path in list(files):
        found = read_fact_checks(path)  # a malformed ClaimReview stops everything, before any write
        if found is not None:
            fact_checks += found
            files.remove(path)
    if fact_checks and not files and not fetched:
        _ingest_fact_checks(archive(args), fact_checks)
        return
    articles = fetched
    skipped = Skipped() if args.skip_bad else None
    for path in tqdm(files, desc="read", unit="file", disable=args.quiet or len(files) < 2):
        # everything is parsed and validated before anything is written
        try:
            articles += read_articles(path, skipped or fail)
        except InputError as e:
            if skipped is None:
                raise
            skipped(e)  # the whole file is bad: skip it
    if skipped and skipped.count:
        print(f"factdesk ingest: {skipped.summary('lines or files')}", file=sys.stderr)
    if not articles:
        raise InvalidInput("no valid articles to ingest")
    opened = archive(args)
    started = time.perf_counter()
    statuses: Counter[str] = Counter()
    statements = 0
    with tqdm(total=len(articles), desc="ingest", unit="article", disable=args.quiet) as bar:
        for start in range(0, len(articles), args.batch_size):
            chunk = articles[start : start + args.batch_size]
            outcomes = opened.ingest(chunk)  # the vector file is saved when due, see Archive.save_if_due
            statuses.update(o.status for o in outcomes)
            statements += sum(o.statements for o in outcomes if o.status in ("created", "replaced"))
            bar.update(len(chunk))
    opened.save()
    if fact_checks:
        _ingest_fact_checks(opened, fact_checks)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    print(
        f"ingested {len(articles)} articles from {_sources(len(files), len(urls))} ({summary}); "
        f"{statements} new statements in {elapsed:.1f} s ({statements / max(elapsed, 1e-9):.0f} statements/s)",
        file=sys.stderr,
    )


def _sources(files: int, urls: int) -> str:
    return " and ".join(([f"{files} files"] if files or not urls else []) + ([f"{urls} pages"] if urls else []))


def _ingest_fact_checks(opened: Archive, fact_checks: list[FactCheck]) -> None:
    statuses = Counter(opened.ingest_fact_checks(fact_checks))
    summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    print(f"stored {len(fact_checks)} fact-checks ({summary})", file=sys.stderr)


def cmd_stats(args: argparse.Namespace) -> None:
    opened = archive(args)
    models = {
        "encoder": opened.encoder,
        "vector_index": opened.vectors.kind,
        "stance_mode": opened.stance.mode,
        "stance_model": opened.stance.name,
        "calibration": opened.calibration,
        "min_confidence": opened.min_confidence,
    }
    print(json.dumps(opened.stats() | models))


def cmd_delete(args: argparse.Namespace) -> None:
    if not archive(args).delete(args.id):
        raise NotFound(f"no article with id {args.id!r}")
    print(f"deleted {args.id}")


def cmd_reindex(args: argparse.Namespace) -> None:
    opened = archive(args, check_encoder=False)
    before = opened.info("encoder")
    started = time.perf_counter()
    with tqdm(total=opened.stats()["statements"], desc="reindex", unit="statement", disable=args.quiet) as bar:
        n = opened.reindex(bar.update)
    print(
        f"re-embedded {n} statements with {opened.encoder} in {time.perf_counter() - started:.1f} s "
        f"(the vectors were made by {before})",
        file=sys.stderr,
    )
    cmd_rescore(args, opened)


def cmd_rescore(args: argparse.Namespace, opened: Archive | None = None) -> None:
    opened = opened or archive(args)
    started = time.perf_counter()
    with tqdm(total=opened.stats()["statements"], desc="rescore", unit="statement", disable=args.quiet) as bar:
        n = opened.rescore(bar.update)
    print(
        f"rescored the check-worthiness of {n} statements in {time.perf_counter() - started:.1f} s "
        "(from their stored vectors)",
        file=sys.stderr,
    )


def add_ingest(sub: Any) -> None:
    p = sub.add_parser(
        "ingest",
        help="ingest articles from files, directories or web pages",
        description="Ingest .jsonl (an article a line), .json (one or a list), .txt/.md (title from "
        "the file name) and .html (main text via trafilatura); directories recursively; http(s) URLs are "
        "fetched (see --fetch, --fetch-allow). "
        "Re-ingesting an article is idempotent; a changed text replaces its statements.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH|URL")
    p.add_argument("--batch-size", type=int, default=64, help="articles per write (default 64)")
    p.add_argument("--skip-bad", action="store_true", help="skip bad lines and files (counted) instead of stopping")
    p.set_defaults(run=cmd_ingest)


def add_stats(sub: Any) -> None:
    sub.add_parser("stats", help="counts of articles, statements and vectors").set_defaults(run=cmd_stats)


def add_delete(sub: Any) -> None:
    p = sub.add_parser("delete", help="delete an article, its statements and vectors")
    p.add_argument("id")
    p.set_defaults(run=cmd_delete)


def add_reindex(sub: Any) -> None:
    sub.add_parser(
        "reindex",
        help="re-embed every statement with this --encoder",
        description="Re-embed every statement from its stored text with the chosen --encoder and record it as "
        "the maker of the data directory's vectors. Other commands refuse a data directory whose vectors another "
        "encoder made, since vectors of two encoders do not compare. Stop servers using the directory first; "
        "if interrupted, run it again.",
    ).set_defaults(run=cmd_reindex)


def add_rescore(sub: Any) -> None:
    sub.add_parser(
        "rescore",
        help="score every stored statement's check-worthiness again, without re-embedding",
        description="Score every stored statement's check-worthiness with the shipped model, from its text and "
        "the vector the index holds for it (nothing is re-embedded): for an archive ingested before the model "
        "or a change of it. Safe beside a running server; if interrupted, run it again.",
    ).set_defaults(run=cmd_rescore)
