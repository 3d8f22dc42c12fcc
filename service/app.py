"""HTTP API: `create_app(settings)` wires routes, the archive (loaded once, in the lifespan) and errors."""

import asyncio
import fcntl
import os
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import msgspec
from litestar import Litestar, Request, Response, Router, delete, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import FromPath, JSONBody, Parameter
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from litestar.plugins.prometheus import PrometheusConfig
from litestar.response import Stream
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.status_codes import (
    HTTP_201_CREATED,
    HTTP_204_NO_CONTENT,
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from index.archive import CHECKS_AT_ONCE, MAX_TOP_K, NO_LIMIT, Archive, Article, TimeLimit
from index.factchecks import InvalidClaimReview, NotJSON, read_claim_reviews
from index.ingest.language import not_english
from index.storage.watches import StoredWatch
from index.verdict import parse_calibration, parse_min_confidence
from index.watch import new_watch
from service import schemas
from service.auth import ANY_SCOPE, SCOPES, ApiKey, KeyRing, client_id, parse_rate, rate_limit, require_scope
from service.bodies import StrictRequest, is_json_type
from service.ingest_files import read_articles, read_url
from service.logs import configure, logger, request_log
from service.netguard import FetchError, FetchOff, NetPolicy, http_url, resolve
from service.openapi import CheckOperation, FactChecksOperation, StrictStructSchemaPlugin, errors
from service.webhooks import DeliveryConfig, deliver_forever

STATIC = Path(__file__).with_name("static")
DESK = STATIC / "desk" / "index.html"
# the desk page runs only its own files: no inline script or style, nothing from another origin
DESK_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
JSON, LD_JSON = "application/json", "application/ld+json"
# page fetches (`POST /v1/articles {"url": ...}`) run in their own threads, at most this many at once per server
# process and per client; a fetch that finds no free slot is answered 503 at once, and checks never wait for one
FETCHES_AT_ONCE = 8
FETCHES_PER_CLIENT = 2
FETCH_RETRY_SECONDS = 5
INDEX_SIZE = Gauge("factdesk_index_size", "Items in the archive", ["kind"])


@dataclass
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("FACTDESK_DATA_DIR", "factdesk-data")))
    stance: str = field(default_factory=lambda: os.environ.get("FACTDESK_STANCE", "auto"))
    encoder: str = field(default_factory=lambda: os.environ.get("FACTDESK_ENCODER", "onnx"))
    # None: FAISS in the data directory; or a Milvus address (milvus:///path/milvus.db, http://host:19530)
    vectors: str | None = field(default_factory=lambda: os.environ.get("FACTDESK_VECTORS") or None)
    seed: bool = True  # ingest seeds/ into an empty data directory on start-up
    max_body_bytes: int = 16 * 2**20
    # API keys: off unless a keys file is configured (`factdesk keys create` makes one)
    keys_file: Path | None = field(
        default_factory=lambda: Path(os.environ["FACTDESK_KEYS_FILE"]) if os.environ.get("FACTDESK_KEYS_FILE") else None
    )
    # per key (or per client address without keys), e.g. "120/minute"; off by default
    rate_limit: str = field(default_factory=lambda: os.environ.get("FACTDESK_RATE_LIMIT", "off"))
    log_format: str = field(default_factory=lambda: os.environ.get("FACTDESK_LOG_FORMAT", "text"))
    # the calibrated probability a verdict needs to be decided; None: the level shipped with the calibration
    min_confidence: float | None = field(
        default_factory=lambda: parse_min_confidence(os.environ.get("FACTDESK_MIN_CONFIDENCE"))
    )
    # which of the stance model's verdict calibrations to use (index.verdict.CALIBRATIONS): general, or news for a
    # desk whose claims are news
    calibration: str = field(default_factory=lambda: parse_calibration(os.environ.get("FACTDESK_CALIBRATION")))
    # the author of ClaimReview drafts (`Accept: application/ld+json` on /v1/check)
    organization: str = field(default_factory=lambda: os.environ.get("FACTDESK_ORGANIZATION") or "factdesk")
    # the address readers reach this server's desk page at (https://desk.example.org): a ClaimReview draft's `url`
    # is the claim's page there. None: drafts have no `url` (never one made from the request's Host header)
    public_url: str | None = field(
        default_factory=lambda: schemas.parse_public_url(os.environ.get("FACTDESK_PUBLIC_URL") or None)
    )
    # `POST /v1/articles {"url": ...}` fetches the page unless off; these networks are reachable despite being
    # loopback, private, ... (see service/netguard.py), e.g. "10.0.0.0/8,127.0.0.1/32"
    fetch: bool = field(default_factory=lambda: os.environ.get("FACTDESK_FETCH", "on").strip().lower() != "off")
    fetch_allow: str = field(default_factory=lambda: os.environ.get("FACTDESK_FETCH_ALLOW", ""))


def seed_articles() -> list[Article]:
    from seeds import seed_files

    return [a for path in seed_files() for a in read_articles(path)]


def open_archive(settings: Settings) -> Archive:
    from index.embed import load_embedder
    from index.stance import load_stance

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # server workers start together: one at a time opens (reconciles) and seeds the data directory
    with open(settings.data_dir / ".open.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        archive = Archive(
            settings.data_dir,
            embedder=load_embedder(settings.encoder),
            stance=load_stance(settings.stance),
            vectors=settings.vectors,
            min_confidence=settings.min_confidence,
            calibration=settings.calibration,
        )
        if settings.seed and archive.stats()["articles"] == 0:
            archive.ingest(seed_articles())
    return archive


SECURED: list[dict[str, list[str]]] = [{"apiKey": []}]


def scope(name: str) -> dict[str, Any]:
    """Route options: the API-key scope it needs (documented in OpenAPI when the server requires keys)."""
    return {"opt": {"scope": name}}


def problem(status: int, detail: str) -> ProblemDetailsException:
    return ProblemDetailsException(status_code=status, title=HTTPStatus(status).phrase, detail=detail)


class FetchSlots:
    """Page fetches in flight: at most `total` at once, `per_client` of them for one client."""

    def __init__(self, total: int = FETCHES_AT_ONCE, per_client: int = FETCHES_PER_CLIENT) -> None:
        self.limiter = anyio.CapacityLimiter(total)  # the threads they run in
        self.total = total
        self.per_client = per_client
        self.running: Counter[str] = Counter()

    @contextmanager
    def take(self, client: str) -> Iterator[anyio.CapacityLimiter]:
        """A slot for `client`, or a 503 problem with Retry-After when none is free (nothing waits for one)."""
        if self.running[client] >= self.per_client or self.running.total() >= self.total:
            busy = "this client's" if self.running[client] >= self.per_client else "the server's"
            raise ProblemDetailsException(
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
                title=HTTPStatus(HTTP_503_SERVICE_UNAVAILABLE).phrase,
                detail=f"{busy} page fetches are all in use; try again later",
                headers={"Retry-After": str(FETCH_RETRY_SECONDS)},
            )
        self.running[client] += 1
        try:
            yield self.limiter
        finally:
            self.running[client] -= 1
            if not self.running[client]:
                del self.running[client]


def _archive(state: State) -> Archive:
    return state.archive  # type: ignore[no-any-return]


@post(
    "/v1/articles",
    status_code=HTTP_201_CREATED,
    tags=["articles"],
    summary="Ingest one article or a list",
    description='`{"url": ...}` without `text` fetches the page (HTML or plain text, at most 5 MiB and 5 '
    "redirects) and takes its text, title, author, date and site name; other fields given win over the page's. "
    "Addresses that are not public (loopback, private, link-local, ...) are refused unless the server allows "
    "their network (`--fetch-allow`); a server started with `--fetch off` answers 403.",
    responses=errors(400, 401, 403, 413, 415, 422, 429, 503),
    **scope("ingest"),
)
async def create_articles(
    data: JSONBody[schemas.ArticleUpload], state: State, request: Request
) -> schemas.IngestResponse:
    policy: NetPolicy = state.net

    def fetch(url: str, given: dict[str, Any]) -> Article:
        return read_url(url, policy, given)

    try:
        if data.fetches():
            if not policy.enabled:
                raise FetchOff("fetching pages is off on this server (--fetch off)")
            slots: FetchSlots = state.fetch_slots
            with slots.take(client_id(request)) as limiter:
                # in a thread of the fetch pool: a page waits on the network (and trafilatura parses it)
                articles = await anyio.to_thread.run_sync(data.to_articles, fetch, limiter=limiter)
        else:
            articles = data.to_articles()
        for a in articles:
            a.validate()
    except FetchOff as e:
        raise problem(HTTP_403_FORBIDDEN, str(e)) from None
    except (ValueError, FetchError) as e:
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, str(e)) from None
    outcomes = await anyio.to_thread.run_sync(_archive(state).ingest, articles)
    return schemas.IngestResponse([schemas.IngestedArticle(o.id, o.status, o.statements) for o in outcomes])


@get(
    "/v1/articles/{article_id:str}",
    tags=["articles"],
    summary="An article with its statements",
    responses=errors(400, 401, 403, 404, 429),
    **scope("check"),
)
async def get_article(article_id: FromPath[str], state: State) -> schemas.ArticleOut:
    found = await anyio.to_thread.run_sync(_archive(state).article, article_id)
    if not found:
        raise NotFoundException(f"no article with id {article_id!r}")
    return schemas.article_out(*found)


@delete(
    "/v1/articles/{article_id:str}",
    status_code=HTTP_204_NO_CONTENT,
    tags=["articles"],
    summary="Delete an article, its statements and vectors",
    responses=errors(400, 401, 403, 404, 429),
    **scope("ingest"),
)
async def delete_article(article_id: FromPath[str], state: State) -> None:
    if not await anyio.to_thread.run_sync(_archive(state).delete, article_id):
        raise NotFoundException(f"no article with id {article_id!r}")


def _check(
    archive: Archive,
    claim: str,
    top_k: int,
    min_confidence: float | None,
    claim_id: str | None = None,
    limit: TimeLimit = NO_LIMIT,
) -> schemas.CheckResponse:
    if schemas.is_blank(claim):
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, "claim is blank")
    return schemas.check_response(archive.check(claim, top_k, min_confidence, limit), claim_id)


def _english(text: str, language: str | None, what: str = "claim") -> None:
    """422 for a text that reads as another language than English, unless the caller declared it English."""
    reason = None if language else not_english(text)  # the schema admits only English tags
    if reason:
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, f"{what}: {reason}")


def _time_limit(window: schemas.TimeWindow) -> TimeLimit:
    try:
        return window.time_limit()
    except ValueError as e:  # a date the pattern lets through but that does not exist
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, str(e)) from None


@post(
    "/v1/check",
    status_code=200,
    tags=["check"],
    summary="Evidence for and against one claim, with a verdict",
    description="With `Accept: application/ld+json` the answer is a schema.org ClaimReview draft of the check.",
    responses=errors(400, 401, 403, 413, 415, 422, 429),
    operation_class=CheckOperation,
    **scope("check"),
)
async def check(data: JSONBody[schemas.CheckRequest], state: State, request: Request) -> schemas.CheckResponse:
    limit = _time_limit(data)
    if not schemas.is_blank(data.claim):
        _english(data.claim, data.language)
    result = await anyio.to_thread.run_sync(
        _check, _archive(state), data.claim, data.top_k, data.min_confidence, None, limit
    )
    if request.accept.best_match([JSON, LD_JSON], default=JSON) == LD_JSON:
        review = schemas.claim_review_out(result, state.public_url, state.organization)
        return Response(msgspec.json.encode(review), media_type=LD_JSON)  # type: ignore[return-value]
    return result


@post(
    "/v1/fact-checks",
    status_code=HTTP_201_CREATED,
    tags=["fact-checks"],
    summary="Store earlier fact-checks: ClaimReview JSON-LD (one, a list, a @graph) or a web page embedding them",
    description="The body is JSON-LD (`application/json` or `application/ld+json`) or an HTML page whose "
    '`<script type="application/ld+json">` blocks hold ClaimReviews. Every check then lists earlier reviews of a '
    "matching claim in `fact_checks`.",
    responses=errors(400, 401, 403, 413, 415, 422, 429),
    operation_class=FactChecksOperation,
    **scope("ingest"),
)
async def create_fact_checks(request: Request, state: State) -> schemas.FactCheckIngestResponse:
    kind = request.content_type[0]
    if not (is_json_type(kind) or kind == "text/html"):
        raise problem(
            HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"the body must be JSON-LD or an HTML page, not {kind or 'untyped'}"
        )
    try:
        checks = read_claim_reviews((await request.body()).decode("utf-8"))
    except UnicodeDecodeError:
        raise problem(HTTP_400_BAD_REQUEST, "the body is not UTF-8 text") from None
    except NotJSON as e:  # unreadable, as a broken JSON body is on every other route
        raise problem(HTTP_400_BAD_REQUEST, str(e)) from None
    except InvalidClaimReview as e:
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, str(e)) from None
    statuses = await anyio.to_thread.run_sync(_archive(state).ingest_fact_checks, checks)
    return schemas.FactCheckIngestResponse(
        [schemas.StoredFactCheck(c.id, status, c.claim_reviewed) for c, status in zip(checks, statuses, strict=True)]
    )


@post(
    "/v1/check/document",
    status_code=200,
    tags=["check"],
    summary="Check a whole draft: every statement, and a check of each check-worthy one, in order",
    responses=errors(400, 401, 403, 413, 415, 422, 429),
    **scope("check"),
)
async def check_document(data: JSONBody[schemas.DocumentRequest], state: State) -> schemas.DocumentResponse:
    limit = _time_limit(data)
    _english(data.text, data.language, "draft")
    archive = _archive(state)

    def run() -> schemas.DocumentResponse:
        level = archive.checkworthiness.default_level if data.min_checkworthiness is None else data.min_checkworthiness
        statements = archive.check_document(data.text, data.top_k, level, data.min_confidence, limit)
        return schemas.document_response(statements, level)

    return await anyio.to_thread.run_sync(run)


@post(
    "/v1/check/batch",
    status_code=200,
    tags=["check"],
    media_type="application/x-ndjson",
    summary="Check many claims; results stream as NDJSON in input order",
    responses=errors(400, 401, 403, 413, 415, 422, 429),
    **scope("check"),
)
async def check_batch(data: JSONBody[schemas.BatchRequest], state: State) -> Stream:
    blank = [i for i, c in enumerate(data.claims) if schemas.is_blank(c.claim)]
    if blank:
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, f"claim {blank[0]} is blank")
    limit = _time_limit(data)
    for i, c in enumerate(data.claims):
        _english(c.claim, data.language, f"claim {i}")
    archive = _archive(state)
    encoder = msgspec.json.Encoder()

    async def lines() -> AsyncIterator[bytes]:
        # CHECKS_AT_ONCE claims in flight (see Archive.check_many), each line sent as soon as it is next in order
        running: deque[asyncio.Task[schemas.CheckResponse]] = deque()
        try:
            for c in data.claims:
                running.append(
                    asyncio.ensure_future(
                        anyio.to_thread.run_sync(_check, archive, c.claim, data.top_k, data.min_confidence, c.id, limit)
                    )
                )
                if len(running) >= CHECKS_AT_ONCE:
                    yield encoder.encode(await running.popleft()) + b"\n"
            while running:
                yield encoder.encode(await running.popleft()) + b"\n"
        finally:  # the client went away: checks already running finish, nothing new starts
            for task in running:
                task.cancel()

    return Stream(lines(), media_type="application/x-ndjson")


@get(
    "/v1/search",
    tags=["search"],
    summary="Nearest statements with their sources (no stance)",
    responses=errors(400, 401, 403, 422, 429),
    **scope("check"),
)
async def search(
    state: State,
    q: Annotated[
        str,
        Parameter(
            min_length=1, max_length=schemas.MAX_CLAIM_CHARS, pattern=schemas.NOT_BLANK, description="Query text"
        ),
    ],
    k: Annotated[int, Parameter(ge=1, le=MAX_TOP_K, description="How many statements")] = 10,
    as_of: Annotated[
        str | None,
        Parameter(max_length=64, pattern=schemas.ISO_DATE, description="Only articles published by then (ISO 8601)"),
    ] = None,
    undated: Annotated[
        Literal["include", "exclude"], Parameter(description="Whether articles without a date are searched")
    ] = "include",
) -> schemas.SearchResponse:
    if schemas.is_blank(q):
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, "query is blank")
    try:
        limit = TimeLimit.parse(as_of, undated)
    except ValueError as e:
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, str(e)) from None
    hits = await anyio.to_thread.run_sync(lambda: _archive(state).retrieve(q, k, limit=limit))
    return schemas.SearchResponse(q, [schemas.search_hit(e) for e in hits])


@get(
    "/v1/whoami",
    tags=["operations"],
    summary="Whether the server requires keys, and the scopes of the key presented",
    responses=errors(400, 401, 429),
    **scope(ANY_SCOPE),
)
async def whoami(request: Request, state: State) -> schemas.WhoAmI:
    if state.get("keys") is None:  # (not state.keys: State is a mapping, .keys is its method)
        return schemas.WhoAmI(keys=False, scopes=list(SCOPES))
    key: ApiKey = request.scope["state"]["api_key_record"]  # set by the guard, which let the request through
    return schemas.WhoAmI(keys=True, scopes=list(key.scopes), key_id=key.id, name=key.name or None)


@get(
    "/",
    tags=["desk"],
    summary="The fact-checker's desk: a web page to check claims and drafts, search and add articles",
    description="`/?claim=TEXT` opens with that claim checked, `/?q=TEXT` with that search.",
    media_type="text/html",
)
async def desk() -> Response[bytes]:
    page = await anyio.Path(DESK).read_bytes()
    return Response(
        page,
        media_type="text/html",
        headers={"Content-Security-Policy": DESK_POLICY, "X-Content-Type-Options": "nosniff"},
    )


def _watch_problem(url: str, policy: NetPolicy) -> None:
    """A problem for a webhook the SSRF guard refuses, naming the reason (it checks again before each delivery):
    403 when outbound requests are off, as for fetched articles, else 422."""
    try:
        target = http_url(url)
        resolve(target.host, target.port or (443 if target.scheme == "https" else 80), policy)
    except FetchOff as e:
        raise problem(HTTP_403_FORBIDDEN, str(e)) from None
    except FetchError as e:
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, f"webhook_url: {e}") from None


@post(
    "/v1/watches",
    status_code=HTTP_201_CREATED,
    tags=["watches"],
    summary="Watch a claim: new statements that support or conflict with it are POSTed to a webhook",
    description="The answer holds the watch's `secret`, shown only here: each delivery carries "
    "`X-Factdesk-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>`.",
    responses=errors(400, 401, 403, 413, 415, 422, 429),
    **scope("ingest"),
)
async def create_watch(data: JSONBody[schemas.WatchRequest], state: State) -> schemas.WatchCreated:
    if schemas.is_blank(data.claim):
        raise problem(HTTP_422_UNPROCESSABLE_ENTITY, "claim is blank")
    await anyio.to_thread.run_sync(_watch_problem, data.webhook_url, state.net)
    watch = new_watch(data.claim, data.webhook_url, data.min_confidence)
    await anyio.to_thread.run_sync(_archive(state).store.create_watch, watch)
    return schemas.watch_created(watch)


@get(
    "/v1/watches",
    tags=["watches"],
    summary="Every watch (without secrets)",
    responses=errors(401, 403, 429),
    **scope("ingest"),
)
async def list_watches(state: State) -> schemas.WatchList:
    watches = await anyio.to_thread.run_sync(_archive(state).store.watches)
    return schemas.WatchList([schemas.watch_out(w) for w in watches])


def _stored_watch(state: State, watch_id: str) -> StoredWatch:
    watch = _archive(state).store.watch(watch_id)
    if watch is None:
        raise NotFoundException(f"no watch with id {watch_id!r}")
    return watch


@get(
    "/v1/watches/{watch_id:str}",
    tags=["watches"],
    summary="One watch (without its secret)",
    responses=errors(400, 401, 403, 404, 429),
    **scope("ingest"),
)
async def get_watch(watch_id: FromPath[schemas.WatchId], state: State) -> schemas.WatchOut:
    return schemas.watch_out(await anyio.to_thread.run_sync(_stored_watch, state, watch_id))


@delete(
    "/v1/watches/{watch_id:str}",
    status_code=HTTP_204_NO_CONTENT,
    tags=["watches"],
    summary="Stop watching: the watch and its deliveries, sent or not, are deleted",
    responses=errors(400, 401, 403, 404, 429),
    **scope("ingest"),
)
async def delete_watch(watch_id: FromPath[schemas.WatchId], state: State) -> None:
    if not await anyio.to_thread.run_sync(_archive(state).store.delete_watch, watch_id):
        raise NotFoundException(f"no watch with id {watch_id!r}")


@get(
    "/v1/watches/{watch_id:str}/deliveries",
    tags=["watches"],
    summary="A watch's latest deliveries, newest first: queued, delivered or failed",
    responses=errors(400, 401, 403, 404, 429),
    **scope("ingest"),
)
async def list_deliveries(watch_id: FromPath[schemas.WatchId], state: State) -> schemas.DeliveryList:
    def read() -> schemas.DeliveryList:
        watch = _stored_watch(state, watch_id)
        return schemas.DeliveryList(
            watch.id, [schemas.delivery_out(d) for d in _archive(state).store.deliveries(watch.id)]
        )

    return await anyio.to_thread.run_sync(read)


@get("/health", tags=["operations"], summary="Counts, model names and stance mode")
async def health(state: State) -> schemas.Health:
    archive = _archive(state)
    stats = await anyio.to_thread.run_sync(archive.stats)
    return schemas.Health(
        status="ok",
        articles=stats["articles"],
        statements=stats["statements"],
        vectors=stats["vectors"],
        publishers=stats["publishers"],
        fact_checks=stats["fact_checks"],
        vector_index=archive.vectors.kind,
        embedding_model=archive.embedder.name,
        encoder=archive.embedder.encoder,
        stance_mode=archive.stance.mode,
        stance_model=archive.stance.name,
        calibration=archive.calibration,
        min_confidence=archive.min_confidence,
    )


@get(
    "/metrics",
    tags=["operations"],
    summary="Prometheus metrics",
    media_type=CONTENT_TYPE_LATEST,
    include_in_schema=True,
    responses=errors(401, 403, 429),
    **scope("admin"),
)
async def metrics(state: State) -> Response[bytes]:
    stats = await anyio.to_thread.run_sync(_archive(state).stats)
    for kind, value in stats.items():
        INDEX_SIZE.labels(kind).set(value)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _allowed_methods(request: Request) -> Response[None] | None:
    """OPTIONS answered with every method of the path: litestar's own answer names only the methods of the
    handlers registered before it (`/v1/watches` would lack GET)."""
    if request.method != "OPTIONS":
        return None
    allowed: dict[int, set[str]] | None = request.app.state.get("allowed_methods")
    if allowed is None:
        allowed = {
            id(handler): set(route.methods)
            for route in request.app.routes
            if isinstance(route, HTTPRoute)
            for handler in route.route_handlers
        }
        request.app.state.allowed_methods = allowed
    methods = allowed.get(id(request.route_handler))
    if not methods:
        return None
    return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": ", ".join(sorted(methods))})


def _as_problem(exc: HTTPException) -> ProblemDetailsException:
    """Every HTTP error (validation, 404, 405, 413, ...) as RFC 9457 problem details."""
    extra = {"errors": exc.extra} if exc.extra else None
    return ProblemDetailsException(
        status_code=exc.status_code,
        title=HTTPStatus(exc.status_code).phrase,
        detail=exc.detail,
        extra=extra,
        headers=exc.headers,
    )


def _internal_error(request: Request, exc: Exception) -> Response[Any]:
    """Unexpected failures: logged with the traceback, answered as problem details without internals."""
    logger.exception(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        extra={"request_id": request.scope.get("state", {}).get("request_id")},
    )
    return problem(500, "internal error").to_response(request)  # type: ignore[no-any-return]


async def _save_vectors_when_due(archive: Archive) -> None:
    """Writes are durable in SQLite at once; the vector file follows in batches (Archive.save_if_due)."""
    while True:
        await anyio.sleep(1)
        await anyio.to_thread.run_sync(archive.save_if_due)


def create_app(settings: Settings | None = None, archive: Archive | None = None) -> Litestar:
    settings = settings or Settings()
    rate = parse_rate(settings.rate_limit)
    keys = KeyRing(settings.keys_file) if settings.keys_file else None
    net = NetPolicy.parse(settings.fetch, [settings.fetch_allow])

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        own = archive is None
        app.state.archive = archive or await anyio.to_thread.run_sync(open_archive, settings)
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_save_vectors_when_due, app.state.archive)
                if net.enabled:
                    tasks.start_soon(deliver_forever, app.state.archive.store, net, DeliveryConfig())
                yield
                tasks.cancel_scope.cancel()
        finally:
            if own:
                await anyio.to_thread.run_sync(app.state.archive.close)  # saves what is left

    return Litestar(
        route_handlers=[
            Router(
                "/",
                route_handlers=[
                    create_articles,
                    get_article,
                    delete_article,
                    check,
                    check_document,
                    create_fact_checks,
                    check_batch,
                    search,
                    whoami,
                    create_watch,
                    list_watches,
                    get_watch,
                    delete_watch,
                    list_deliveries,
                    metrics,
                ],
                security=SECURED if keys else None,
            ),
            health,
            desk,
            create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False),
        ],
        lifespan=[lifespan],
        plugins=[
            StrictStructSchemaPlugin(),
            ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map={HTTPException: _as_problem})),
        ],
        exception_handlers={Exception: _internal_error},
        state=State(
            {
                "keys": keys,
                "organization": settings.organization,
                "public_url": settings.public_url,
                "net": net,
                "fetch_slots": FetchSlots(),
            }
        ),
        guards=[require_scope],
        middleware=[
            request_log,
            PrometheusConfig(app_name="factdesk", prefix="factdesk", group_path=True).middleware,
            *([rate_limit(rate).middleware] if rate else []),
        ],
        request_max_body_size=settings.max_body_bytes,
        request_class=StrictRequest,
        before_request=_allowed_methods,
        openapi_config=OpenAPIConfig(
            title="factdesk",
            version="0.1.0",
            description="Check claims against an archive of articles: supporting and conflicting statements, "
            "their sources, and a verdict.",
            path="/schema",
            components=Components(
                security_schemes={
                    "apiKey": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API key from `factdesk keys create`, needed when the server has a keys "
                        "file. Scopes: check, ingest, admin.",
                    )
                }
            ),
            render_plugins=[
                SwaggerRenderPlugin(
                    js_url="/static/swagger-ui/swagger-ui-bundle.js",
                    css_url="/static/swagger-ui/swagger-ui.css",
                    standalone_preset_js_url="/static/swagger-ui/swagger-ui-standalone-preset.js",
                    path="/swagger",
                    favicon="",
                )
            ],
        ),
    )


def app_from_env() -> Litestar:
    """Factory for `uvicorn --factory` (and `factdesk serve`): settings from the environment."""
    settings = Settings()
    configure(settings.log_format)
    return create_app(settings)
