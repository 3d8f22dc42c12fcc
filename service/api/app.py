"""`create_app(settings)`: the one place that wires the controllers, the archive (opened once, in the lifespan),
guards, middleware, errors and the OpenAPI document."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from litestar import Litestar, Request, Response, Router
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_204_NO_CONTENT

from index.archive import Archive
from index.settings import Settings, get_settings
from service.api.articles import ArticlesController, FetchSlots
from service.api.bodies import StrictRequest
from service.api.check import CheckController
from service.api.dependencies import DEPENDENCIES
from service.api.desk import STATIC, DeskController
from service.api.errors import HANDLERS, problems_plugin
from service.api.factchecks import FactChecksController
from service.api.guards import parse_rate, rate_limit, require_scope
from service.api.middleware import request_log
from service.api.openapi import StrictStructSchemaPlugin
from service.api.operations import HealthController, OperationsController
from service.api.search import SearchController
from service.api.watches import WatchesController
from service.archive import open_archive
from service.keys import KeyRing
from service.logs import configure
from service.outbound.netguard import NetPolicy
from service.outbound.webhooks import DeliveryConfig, deliver_forever

SECURED: list[dict[str, list[str]]] = [{"apiKey": []}]
# behind the API-key guard when the server has keys (each controller names the scope its routes need)
GUARDED = [ArticlesController, CheckController, FactChecksController, SearchController, OperationsController]


def _allowed_methods(request: Request[Any, Any, Any]) -> Response[None] | None:
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


async def _save_vectors_when_due(archive: Archive) -> None:
    """Writes are durable in SQLite at once; the vector file follows in batches (Archive.save_if_due)."""
    while True:
        await anyio.sleep(1)
        await anyio.to_thread.run_sync(archive.save_if_due)


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
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
    )


def create_app(settings: Settings | None = None, archive: Archive | None = None) -> Litestar:
    """The API over `archive`, or over the archive `settings` name (opened in the lifespan, closed after)."""
    settings = settings or get_settings()
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
                    tasks.start_soon(deliver_forever, app.state.archive.watches, net, DeliveryConfig.of(settings))
                yield
                tasks.cancel_scope.cancel()
        finally:
            if own:
                await anyio.to_thread.run_sync(app.state.archive.close)  # saves what is left

    return Litestar(
        route_handlers=[
            Router("/", route_handlers=[*GUARDED, WatchesController], security=SECURED if keys else None),
            HealthController,
            DeskController,
            create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False),
        ],
        dependencies=DEPENDENCIES,
        lifespan=[lifespan],
        plugins=[StrictStructSchemaPlugin(), problems_plugin()],
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
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
        openapi_config=_openapi(),
    )


def serve_app(settings: Settings) -> Litestar:
    """The app a `factdesk serve` worker runs (the settings come whole from the command line, pickled for each
    worker process): its logging configured first."""
    configure(settings.log_format)
    return create_app(settings)
