"""`factdesk [--data-dir DIR] COMMAND`: ingest, check, serve, search, stats, delete, reindex, rescore, keys,
train-stance."""

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import msgspec
from tqdm import tqdm

from index.archive import (
    MAX_DOCUMENT_CHECKS,
    Archive,
    Article,
    InvalidArticle,
    TimeLimit,
    encoder_problem,
    recorded_encoder,
)
from index.embed import ENCODERS, identity
from index.factchecks import FactCheck
from index.stance import STANCE_MODES, stance_name
from index.verdict import CALIBRATIONS, load_calibrator, parse_calibration, parse_min_confidence
from service import schemas
from service.auth import SCOPES, KeyRing, create_key, parse_rate, read_keys
from service.ingest_files import (
    InputError,
    Skipped,
    expand,
    fail,
    read_articles,
    read_claims,
    read_fact_checks,
    read_url,
)
from service.netguard import FetchError, NetPolicy

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


class CliError(Exception):
    """A one-line message for the user; exit status 1."""


def _open_archive(args: argparse.Namespace, check_encoder: bool = True) -> Archive:
    from index.embed import load_embedder
    from index.stance import load_stance

    if check_encoder:
        _check_encoder(args)  # before any model loads
    try:
        return Archive(
            Path(args.data_dir),
            embedder=load_embedder(args.encoder),
            stance=load_stance(args.stance),
            vectors=args.vectors,
            check_encoder=check_encoder,
            min_confidence=args.min_confidence,
            calibration=args.calibration,
        )
    except ValueError as e:  # a bad --vectors address, vectors of another dimension or encoder
        raise CliError(str(e)) from None


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}")
    return value


def _level(text: str) -> float | None:
    try:
        return parse_min_confidence(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _calibration(text: str) -> str:
    try:
        return parse_calibration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _check_calibration(args: argparse.Namespace) -> None:
    try:
        load_calibrator(stance_name(args.stance), args.calibration)
    except ValueError as e:
        raise CliError(str(e)) from None


def _check_encoder(args: argparse.Namespace) -> None:
    problem = encoder_problem(Path(args.data_dir), recorded_encoder(Path(args.data_dir)), identity(args.encoder))
    if problem:
        raise CliError(problem)


def _net_policy(args: argparse.Namespace) -> NetPolicy:
    try:
        return NetPolicy.parse(args.fetch == "on", args.fetch_allow)
    except ValueError as e:
        raise CliError(f"--fetch-allow: {e}") from None


def _fetch_urls(args: argparse.Namespace, urls: Sequence[str]) -> list[Article]:
    policy = _net_policy(args)
    try:
        return [read_url(url, policy) for url in urls]
    except FetchError as e:
        raise CliError(str(e)) from None


def cmd_ingest(args: argparse.Namespace) -> None:
    urls = [p for p in args.paths if "://" in p]  # a page to fetch, checked by service/netguard.py
    fetched = _fetch_urls(args, urls) if urls else []
    files = expand(Path(p) for p in args.paths if p not in urls)
    if not files and not fetched:
        raise CliError("no ingestible files found (.jsonl .json .txt .md .html)")
    fact_checks = []
    for path in list(files):
        found = read_fact_checks(path)  # a malformed ClaimReview stops everything, before any write
        if found is not None:
            fact_checks += found
            files.remove(path)
    if fact_checks and not files and not fetched:
        _ingest_fact_checks(_open_archive(args), fact_checks)
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
        raise CliError("no valid articles to ingest")
    archive = _open_archive(args)
    started = time.perf_counter()
    statuses: Counter[str] = Counter()
    statements = 0
    with tqdm(total=len(articles), desc="ingest", unit="article", disable=args.quiet) as bar:
        for start in range(0, len(articles), args.batch_size):
            chunk = articles[start : start + args.batch_size]
            outcomes = archive.ingest(chunk)  # the vector file is saved when due, see Archive.save_if_due
            statuses.update(o.status for o in outcomes)
            statements += sum(o.statements for o in outcomes if o.status in ("created", "replaced"))
            bar.update(len(chunk))
    archive.save()
    if fact_checks:
        _ingest_fact_checks(archive, fact_checks)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    print(
        f"ingested {len(articles)} articles from {_sources(len(files), len(urls))} ({summary}); "
        f"{statements} new statements in {elapsed:.1f} s ({statements / max(elapsed, 1e-9):.0f} statements/s)",
        file=sys.stderr,
    )


def _sources(files: int, urls: int) -> str:
    return " and ".join(([f"{files} files"] if files or not urls else []) + ([f"{urls} pages"] if urls else []))


def _ingest_fact_checks(archive: Archive, fact_checks: list[FactCheck]) -> None:
    statuses = Counter(archive.ingest_fact_checks(fact_checks))
    summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    print(f"stored {len(fact_checks)} fact-checks ({summary})", file=sys.stderr)


@contextmanager
def _atomic_output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a temp file renamed over `path` only when everything was written."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_input(file: str | None) -> tuple[bytes, str]:
    """The bytes of FILE, or of stdin for - or none, with the name to report errors under."""
    if file in (None, "-"):
        return sys.stdin.buffer.read(), "<stdin>"
    path = Path(file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    return path.read_bytes(), str(path)


def cmd_check(args: argparse.Namespace) -> None:
    data, name = _read_input(args.file)
    skipped = Skipped() if args.skip_bad else None
    claims = list(read_claims(data, name, skipped or fail))  # all of it is validated before any output
    if skipped and skipped.count:
        print(f"factdesk check: {skipped.summary('lines')}", file=sys.stderr)
    if not claims:
        raise CliError(f"{name}: no valid claims")
    archive = _open_archive(args)
    encoder = msgspec.json.Encoder()
    with _atomic_output(args.out) as out:
        writer = csv.writer(out) if args.format == "csv" else None
        if writer:
            writer.writerow(CSV_COLUMNS)
        checked = archive.check_many((c.claim for c in claims), args.top_k, limit=_time_limit(args))
        progress = tqdm(checked, total=len(claims), desc="check", unit="claim", disable=args.quiet)
        for c, checked_claim in zip(claims, progress, strict=True):
            result = schemas.check_response(checked_claim, c.id)
            if writer:
                top = result.evidence[0] if result.evidence else None
                writer.writerow(
                    [
                        c.id or "",
                        c.claim,
                        result.verdict,
                        result.confidence,
                        result.supporting_publishers,
                        result.conflicting_publishers,
                        top.stance if top else "",
                        top.similarity if top else "",
                        top.text if top else "",
                        top.article.id if top else "",
                        (top.article.url or "") if top else "",
                    ]
                )
            else:
                out.write(encoder.encode(result).decode() + "\n")
            if out is sys.stdout:
                out.flush()


def cmd_search(args: argparse.Namespace) -> None:
    archive = _open_archive(args)
    for e in archive.retrieve(args.query, args.k, limit=_time_limit(args)):
        hit = schemas.search_hit(e)
        if args.json:
            print(msgspec.json.encode(hit).decode())
        else:
            source = e.article.title or e.article.id
            print(f"{hit.score:.3f}  {hit.text}  [{source} {hit.start}:{hit.end}]")


def _time_limit(args: argparse.Namespace) -> TimeLimit:
    try:
        return TimeLimit.parse(args.as_of, args.undated)
    except ValueError as e:
        raise CliError(str(e)) from None


def cmd_check_doc(args: argparse.Namespace) -> None:
    data, name = _read_input(args.file)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(f"{name}: not UTF-8 text") from None
    if schemas.is_blank(text):
        raise CliError(f"{name}: empty draft")
    if len(text) > schemas.MAX_ARTICLE_CHARS:
        raise CliError(f"{name}: {len(text)} characters, at most {schemas.MAX_ARTICLE_CHARS} in one draft")
    limit = _time_limit(args)
    archive = _open_archive(args)
    with tqdm(desc="check", unit="statement", disable=args.quiet) as bar:

        def progress(n: int) -> None:
            if bar.total is None:
                bar.reset(total=n)
            else:
                bar.update(n)

        level = archive.checkworthiness.default_level if args.min_checkworthiness is None else args.min_checkworthiness
        statements = archive.check_document(text, args.top_k, level, limit=limit, progress=progress)
    response = schemas.document_response(statements, level)
    if response.left_unchecked:
        print(
            f"{response.left_unchecked} check-worthy statements left unchecked: at most {MAX_DOCUMENT_CHECKS} are "
            "checked in one draft, the most check-worthy first (split the draft or check them as a batch)",
            file=sys.stderr,
        )
    with _atomic_output(args.out) as out:
        if args.format == "json":
            out.write(msgspec.json.encode(response).decode() + "\n")
            return
        for s in response.statements:
            verdict = f"{s.result.verdict} {s.result.confidence:.2f}" if s.result else "(not checked)"
            out.write(f"{s.position:>4}  {verdict:<27}  {s.text}\n")


def cmd_stats(args: argparse.Namespace) -> None:
    archive = _open_archive(args)
    models = {
        "encoder": archive.encoder,
        "vector_index": archive.vectors.kind,
        "stance_mode": archive.stance.mode,
        "stance_model": archive.stance.name,
        "calibration": archive.calibration,
        "min_confidence": archive.min_confidence,
    }
    print(json.dumps(archive.stats() | models))


def cmd_delete(args: argparse.Namespace) -> None:
    if not _open_archive(args).delete(args.id):
        raise CliError(f"no article with id {args.id!r}")
    print(f"deleted {args.id}")


def cmd_reindex(args: argparse.Namespace) -> None:
    archive = _open_archive(args, check_encoder=False)
    before = archive.store.info("encoder")
    started = time.perf_counter()
    with tqdm(total=archive.stats()["statements"], desc="reindex", unit="statement", disable=args.quiet) as bar:
        n = archive.reindex(bar.update)
    print(
        f"re-embedded {n} statements with {archive.encoder} in {time.perf_counter() - started:.1f} s "
        f"(the vectors were made by {before})",
        file=sys.stderr,
    )
    cmd_rescore(args, archive)


def cmd_rescore(args: argparse.Namespace, archive: Archive | None = None) -> None:
    archive = archive or _open_archive(args)
    started = time.perf_counter()
    with tqdm(total=archive.stats()["statements"], desc="rescore", unit="statement", disable=args.quiet) as bar:
        n = archive.rescore(bar.update)
    print(
        f"rescored the check-worthiness of {n} statements in {time.perf_counter() - started:.1f} s "
        "(from their stored vectors)",
        file=sys.stderr,
    )


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    _check_encoder(args)  # one line now, not a traceback from every worker
    _check_calibration(args)
    os.environ["FACTDESK_DATA_DIR"] = str(args.data_dir)
    os.environ["FACTDESK_STANCE"] = args.stance
    os.environ["FACTDESK_ENCODER"] = args.encoder
    os.environ["FACTDESK_VECTORS"] = args.vectors or ""
    if args.keys_file:
        try:
            KeyRing(Path(args.keys_file))  # a file that does not parse: one line now, not a worker's traceback
        except ValueError as e:
            raise CliError(str(e)) from None
        os.environ["FACTDESK_KEYS_FILE"] = str(Path(args.keys_file).resolve())
    os.environ["FACTDESK_RATE_LIMIT"] = args.rate_limit
    os.environ["FACTDESK_LOG_FORMAT"] = args.log_format
    os.environ["FACTDESK_MIN_CONFIDENCE"] = "" if args.min_confidence is None else str(args.min_confidence)
    os.environ["FACTDESK_CALIBRATION"] = args.calibration
    try:
        os.environ["FACTDESK_PUBLIC_URL"] = schemas.parse_public_url(args.public_url) or ""
    except ValueError as e:
        raise CliError(str(e)) from None
    _net_policy(args)  # a bad --fetch-allow: one line now
    os.environ["FACTDESK_FETCH"] = args.fetch
    os.environ["FACTDESK_FETCH_ALLOW"] = ",".join(args.fetch_allow)
    try:
        parse_rate(args.rate_limit)
    except ValueError as e:
        raise CliError(str(e)) from None
    uvicorn.run(
        "service.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,  # factdesk logs each request itself, with its request id
    )


def cmd_keys(args: argparse.Namespace) -> None:
    if not args.keys_file:
        raise CliError("no keys file: give --keys-file or set FACTDESK_KEYS_FILE")
    path = Path(args.keys_file)
    if args.action == "list":
        try:
            keys = read_keys(path) if path.exists() else []
        except ValueError as e:
            raise CliError(str(e)) from None
        for key in keys:
            print(f"{key.id}  {','.join(key.scopes):<18} {key.created}  {key.name}")
        return
    try:
        secret, record = create_key(path, args.scope or [], args.name)
    except ValueError as e:
        raise CliError(str(e)) from None
    print(secret)
    print(
        f"key {record.id} with scopes {', '.join(record.scopes)} added to {path}; it is shown only once",
        file=sys.stderr,
    )


def _per_source(option: str, values: Sequence[str], example: str) -> dict[str, int]:
    counts = {}
    for value in values:
        source, _, count = value.partition("=")
        if not source or not count.isdigit():
            raise CliError(f"{option} {value}: expected SOURCE=N, e.g. {example}")
        counts[source] = int(count)
    return counts


def cmd_train_stance(args: argparse.Namespace) -> None:
    from index.stance.train import TrainConfig, requantize, run

    for data in args.data:
        if not Path(data).is_file():
            raise CliError(f"{data}: no such file")
    if args.requantize:
        if not (Path(args.out) / "model-fp32.onnx").is_file() or not (Path(args.out) / "metrics.json").is_file():
            raise CliError(f"{args.out}: no trained model (model-fp32.onnx and metrics.json) to quantise")
        covidfact = Path(args.covidfact) if args.covidfact else None
        metrics = requantize(Path(args.out), args.quantize, [Path(d) for d in args.data], covidfact)
        print(
            json.dumps(
                {"heldout_int8": metrics["heldout_int8"]["overall"], "agreement": metrics["int8_fp32_agreement"]}
            )
        )
        return
    if args.init and not (Path(args.init) / "model.onnx").is_file():
        raise CliError(f"{args.init}: no stance model (model.onnx) to start from")
    if args.base and not (
        (Path(args.base) / "model.onnx").is_file() and (Path(args.base) / "tokenizer.json").is_file()
    ):
        raise CliError(f"{args.base}: no ONNX encoder (model.onnx and tokenizer.json) to start from")
    if args.init and args.base:
        raise CliError("--base does not go with --init: the model goes on from the network it has")
    if args.init and args.layers:
        raise CliError("--layers does not go with --init: the model goes on with the layers it has")
    config = TrainConfig(
        data=[Path(d) for d in args.data],
        out=Path(args.out),
        covidfact=Path(args.covidfact) if args.covidfact else None,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        max_length=args.max_length,
        holdout=args.holdout,
        holdout_more=args.holdout_more,
        synthetic=args.synthetic,
        seed=args.seed,
        max_minutes=args.max_minutes,
        limit=args.limit,
        max_steps=args.max_steps,
        threads=args.threads,
        layers=args.layers,
        teacher=Path(args.teacher) if args.teacher else None,
        distill=args.distill,
        init=Path(args.init) if args.init else None,
        base=Path(args.base) if args.base else None,
        cap=_per_source("--cap", args.cap, "fnc1_test=3000"),
        repeat=_per_source("--repeat", args.repeat, "fever_symmetric=2"),
        news_edits=args.news_edits,
        news_clauses=args.news_clauses,
        news_same_name=args.news_same_name,
        news_numbers=args.news_numbers,
        quantize=args.quantize,
    )
    run(config, log=lambda m: print(m, file=sys.stderr))


def _time_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="only evidence from articles published on or before this ISO 8601 date or date-time",
    )
    p.add_argument(
        "--undated",
        choices=("include", "exclude"),
        default="include",
        help="whether articles without a publication date count (default include)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factdesk",
        description="Check claims against an archive of articles: what supports them, what conflicts, who said it.",
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("FACTDESK_DATA_DIR", "factdesk-data"),
        help="data directory (SQLite store + FAISS index); env FACTDESK_DATA_DIR; default ./factdesk-data",
    )
    parser.add_argument(
        "--vectors",
        default=os.environ.get("FACTDESK_VECTORS") or None,
        metavar="ADDRESS",
        help="where vectors live: FAISS in the data directory (default), or Milvus: milvus:///path/milvus.db "
        "(Milvus Lite) or http://host:19530 (a server or cluster; pip install 'factdesk[milvus]'); "
        "default $FACTDESK_VECTORS",
    )
    parser.add_argument(
        "--encoder",
        choices=ENCODERS,
        default=os.environ.get("FACTDESK_ENCODER", "onnx"),
        help="embedding encoder: onnx (int8, default) or torch (the sentence-transformers reference); "
        "default $FACTDESK_ENCODER or onnx",
    )
    parser.add_argument(
        "--stance",
        choices=STANCE_MODES,
        default=os.environ.get("FACTDESK_STANCE", "auto"),
        help="stance classifier: the shipped NLI model (auto when installed; nli insists on it), fast (its "
        "3-layer distilled sibling, about twice the speed) or cues alone; default $FACTDESK_STANCE or auto",
    )
    parser.add_argument(
        "--min-confidence",
        type=_level,
        default=os.environ.get("FACTDESK_MIN_CONFIDENCE") or None,
        metavar="P",
        help="decide a verdict only when its calibrated probability (how often such a verdict was right on the "
        "dev sets) reaches P, 0-1; below it the verdict is not_enough_evidence. Default $FACTDESK_MIN_CONFIDENCE, "
        "else the level shipped with the calibration",
    )
    parser.add_argument(
        "--calibration",
        type=_calibration,  # unlike choices, also checks a default from the environment
        metavar="{" + ",".join(CALIBRATIONS) + "}",
        default=os.environ.get("FACTDESK_CALIBRATION", ""),
        help="which calibration turns evidence into verdict probabilities: general (fitted on real news claims and "
        "science claims together) or news (on real news claims alone: more claims supported, for a desk whose "
        "claims are news); each brings its own default level. Default $FACTDESK_CALIBRATION or general",
    )
    parser.add_argument(
        "--fetch",
        choices=("on", "off"),
        default="off" if os.environ.get("FACTDESK_FETCH", "on").strip().lower() == "off" else "on",
        help='whether `ingest URL` and `POST /v1/articles {"url": ...}` fetch pages and watches POST to their '
        "webhooks; default $FACTDESK_FETCH or on",
    )
    parser.add_argument(
        "--fetch-allow",
        action="append",
        default=[v for v in [os.environ.get("FACTDESK_FETCH_ALLOW", "")] if v],
        metavar="CIDR",
        help="a network pages may be fetched from although it is not public (loopback, private, link-local, "
        "...), e.g. 10.0.0.0/8; repeatable or a comma list; default $FACTDESK_FETCH_ALLOW, else public only",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    p = sub.add_parser(
        "check",
        help="check claims from a file or stdin",
        description="Input: JSONL {id?, claim}, CSV with a 'claim' column, or one claim a line. "
        "Output: one result a line, in input order, id echoed.",
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="claims file, or - for stdin (default)")
    p.add_argument("--out", help="write results here (atomically) instead of stdout")
    p.add_argument(
        "--top-k",
        type=int,
        default=5,
        choices=range(1, 51),
        metavar="N",
        help="evidence statements per claim, 1-50 (default 5)",
    )
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format (default jsonl)")
    p.add_argument("--skip-bad", action="store_true", help="skip bad lines (counted) instead of stopping")
    _time_options(p)
    p.set_defaults(run=cmd_check)

    p = sub.add_parser(
        "check-doc",
        help="check a whole draft: every statement, and the check-worthy ones checked",
        description="Split a draft (UTF-8 text) into statements with offsets, speaker and check-worthiness, and "
        "check each statement scoring at least --min-checkworthiness against the archive (reported speech: "
        "what it reports). Output: the JSON of POST /v1/check/document, or a line per statement (--format text).",
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="the draft, or - for stdin (default)")
    p.add_argument("--out", help="write the result here (atomically) instead of stdout")
    p.add_argument("--top-k", type=int, default=5, choices=range(1, 51), metavar="N", help="evidence per statement")
    p.add_argument(
        "--min-checkworthiness",
        type=_share,
        default=None,
        metavar="S",
        help="check statements whose check-worthiness (the probability an annotator would call them check-worthy) "
        "is at least S, 0-1 (default: the model's level)",
    )
    p.add_argument("--format", choices=("json", "text"), default="json", help="output format (default json)")
    _time_options(p)
    p.set_defaults(run=cmd_check_doc)

    p = sub.add_parser("serve", help="serve the HTTP API (ingests seeds/ into an empty data directory)")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="default $HOST or 127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="default $PORT or 8000")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each loads the models once")
    p.add_argument(
        "--keys-file",
        default=os.environ.get("FACTDESK_KEYS_FILE"),
        help="require API keys from this file (see `factdesk keys`); default $FACTDESK_KEYS_FILE, else no keys",
    )
    p.add_argument(
        "--rate-limit",
        default=os.environ.get("FACTDESK_RATE_LIMIT", "off"),
        help="requests per key (or per client address without keys), e.g. 120/minute; per worker; default off",
    )
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=os.environ.get("FACTDESK_LOG_FORMAT", "text"),
        help="request logs as text or JSON lines (request id, status, duration, API key id); default text",
    )
    p.add_argument(
        "--public-url",
        default=os.environ.get("FACTDESK_PUBLIC_URL"),
        help="the address readers reach the desk page at, e.g. https://desk.example.org: the url of ClaimReview "
        "drafts (without it they have none); default $FACTDESK_PUBLIC_URL",
    )
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("search", help="nearest statements for a query, with sources (no stance)")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=10, choices=range(1, 51), metavar="K", help="how many (default 10)")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    _time_options(p)
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("stats", help="counts of articles, statements and vectors")
    p.set_defaults(run=cmd_stats)

    p = sub.add_parser("delete", help="delete an article, its statements and vectors")
    p.add_argument("id")
    p.set_defaults(run=cmd_delete)

    p = sub.add_parser(
        "reindex",
        help="re-embed every statement with this --encoder",
        description="Re-embed every statement from its stored text with the chosen --encoder and record it as "
        "the maker of the data directory's vectors. Other commands refuse a data directory whose vectors another "
        "encoder made, since vectors of two encoders do not compare. Stop servers using the directory first; "
        "if interrupted, run it again.",
    )
    p.set_defaults(run=cmd_reindex)

    p = sub.add_parser(
        "rescore",
        help="score every stored statement's check-worthiness again, without re-embedding",
        description="Score every stored statement's check-worthiness with the shipped model, from its text and "
        "the vector the index holds for it (nothing is re-embedded): for an archive ingested before the model "
        "or a change of it. Safe beside a running server; if interrupted, run it again.",
    )
    p.set_defaults(run=cmd_rescore)

    p = sub.add_parser(
        "keys",
        help="create or list API keys",
        description="API keys for the HTTP API. `create` prints a new key once; only its SHA-256 digest is "
        "stored. Scopes: check (check, search, read articles), ingest (add, replace, delete articles), admin "
        "(metrics). The server asks for keys when started with the same --keys-file.",
    )
    p.add_argument("action", choices=("create", "list"))
    p.add_argument("--scope", action="append", choices=SCOPES, help="repeat for several scopes")
    p.add_argument("--name", default="", help="a note to say whose key it is")
    p.add_argument("--keys-file", default=os.environ.get("FACTDESK_KEYS_FILE"), help="default $FACTDESK_KEYS_FILE")
    p.set_defaults(run=cmd_keys)

    p = sub.add_parser(
        "train-stance",
        help="train the NLI stance model and export it to ONNX (int8)",
        description="Train the 3-way cross-encoder from all-MiniLM-L6-v2 on NLI pairs, evaluate on a "
        "held-out slice (and COVID-Fact), export int8 ONNX + model card into --out.",
    )
    p.add_argument(
        "--data",
        required=True,
        nargs="+",
        action="extend",
        help="NLI pairs, one or more files (.jsonl or .jsonl.gz with premise, hypothesis, label, source); a label "
        "of not_entailment (two-way data) is trained on P(neutral) + P(contradiction)",
    )
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--covidfact", help="COVID-Fact dev directory (claims.jsonl) for a two-way evaluation")
    p.add_argument("--epochs", type=float, default=2.0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=8e-5)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument(
        "--holdout",
        type=int,
        default=3600,
        help="held-out pairs of the first --data file (stratified by source and label)",
    )
    p.add_argument(
        "--holdout-more",
        type=int,
        default=4000,
        help="held-out pairs of each further --data file (the same share of every source; pairs that share a "
        "premise or hypothesis held out together)",
    )
    p.add_argument("--synthetic", type=int, default=8000, help="rule-edited news pairs added to training")
    p.add_argument(
        "--news-edits",
        type=int,
        default=0,
        help="pairs of the edits news claims make (antonyms, direction, synonyms, reported speech) added to training",
    )
    p.add_argument(
        "--news-clauses",
        type=float,
        default=0.0,
        help="share of the news edits' swaps whose hypothesis is only the edited clause, as short as a real claim",
    )
    p.add_argument(
        "--news-same-name",
        type=float,
        default=0.0,
        help="share of the news edits' neutral pairs made of two sentences that name the same person or place",
    )
    p.add_argument(
        "--news-numbers",
        type=float,
        default=0.0,
        help="share of the news edits' entailments that round and hedge a figure (6.96 million → about 7 million) "
        "and of their neutral pairs that give another year's figure",
    )
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--max-minutes", type=float, help="shorten the schedule to fit this training time")
    p.add_argument("--limit", type=int, help="train on the first N pairs only (smoke runs)")
    p.add_argument("--max-steps", type=int)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--layers", type=int, help="keep this many encoder layers (evenly spaced): a smaller, faster model")
    p.add_argument("--teacher", help="a trained stance model directory to distil from (its probabilities)")
    p.add_argument("--distill", type=float, default=0.5, help="share of the loss that follows the teacher")
    p.add_argument(
        "--init",
        help="go on training a trained stance model directory (its model.onnx) instead of starting from the "
        "base encoder; keep --seed and --holdout of its run, or its held-out slice is trained on",
    )
    p.add_argument(
        "--base",
        help="start from the BERT-family encoder of this ONNX export directory (model.onnx, int8 or fp32, and its "
        "tokenizer.json; config.json if there is one) instead of all-MiniLM-L6-v2; a pooler or head is dropped",
    )
    p.add_argument(
        "--cap",
        action="append",
        default=[],
        metavar="SOURCE=N",
        help="train on at most N pairs of SOURCE (repeatable), e.g. fnc1_test=3000",
    )
    p.add_argument(
        "--repeat",
        action="append",
        default=[],
        metavar="SOURCE=N",
        help="train on SOURCE's pairs N times over (repeatable; after --cap), e.g. fever_symmetric=2",
    )
    p.add_argument(
        "--quantize",
        choices=("tokens", "weights"),
        default="tokens",
        help="tokens: int8 arithmetic with activations scaled per token (faster); weights: int8 weights, fp32 "
        "arithmetic. Either way a pair's scores do not depend on the pairs batched with it",
    )
    p.add_argument(
        "--requantize",
        action="store_true",
        help="do not train: quantise the model already trained in --out (its model-fp32.onnx) again and "
        "re-evaluate it; --data must be the file it was trained on",
    )
    p.set_defaults(run=cmd_train_stance)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (CliError, InputError, InvalidArticle) as e:
        print(f"factdesk {args.command}: error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print(f"factdesk {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
