"""`create_app(settings)`: the one place that wires the controllers, the archive (opened once, in the lifespan),
guards, middleware, errors and the OpenAPI document."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from litestar import Litestar, Request, Response, Router
from litestar.config.app import AppConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins import InitPluginProtocol
from litestar.plugins.prometheus import PrometheusConfig
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_204_NO_CONTENT

from factdesk.index.archive import Archive
from factdesk.index.settings import Settings, get_settings
from factdesk.service.api.articles import ArticlesController, FetchSlots
from factdesk.service.api.bodies import StrictRequest
from factdesk.service.api.check import CheckController
from factdesk.service.api.dependencies import DEPENDENCIES
from factdesk.service.api.desk import STATIC, DeskController
from factdesk.service.api.errors import HANDLERS, problems_plugin
from factdesk.service.api.factchecks import FactChecksController
from factdesk.service.api.guards import parse_rate, rate_limit, require_scope
from factdesk.service.api.middleware import request_log
from factdesk.service.api.openapi import StrictStructSchemaPlugin
from factdesk.service.api.operations import HealthController, OperationsController
from factdesk.service.api.search import SearchController
from factdesk.service.api.watches import WatchesController
from factdesk.service.archive import open_archive
from factdesk.service.keys import KeyRing
from factdesk.service.logs import configure
from factdesk.service.outbound.netguard import NetPolicy
from factdesk.service.outbound.webhooks import DeliveryConfig, deliver_forever

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


class FactdeskPlugin(InitPluginProtocol):
    """The API's assembly, one small step an aspect: what `create_app` hands to litestar."""

    def __init__(self, settings: Settings, archive: Archive | None = None) -> None:
        self.settings = settings
        self.archive = archive  # given: the caller's to close; else opened and closed by the lifespan
        self.keys = KeyRing(settings.keys_file) if settings.keys_file else None
        self.net = NetPolicy.parse(settings.fetch, [settings.fetch_allow])

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        self._configure_routes(app_config)
        self._configure_errors(app_config)
        self._configure_requests(app_config)
        self._configure_state(app_config)
        app_config.openapi_config = _openapi()
        app_config.lifespan.append(self._lifespan)
        return app_config

    def _configure_routes(self, config: AppConfig) -> None:
        guarded = Router("/", route_handlers=[*GUARDED, WatchesController], security=SECURED if self.keys else None)
        static = create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)
        config.route_handlers.extend([guarded, HealthController, DeskController, static])
        config.dependencies.update(DEPENDENCIES)

    def _configure_errors(self, config: AppConfig) -> None:
        config.exception_handlers.update(HANDLERS)  # type: ignore[arg-type]

    def _configure_requests(self, config: AppConfig) -> None:
        """Keys and scopes, request ids and logs, metrics, rate limits, strict bodies, OPTIONS."""
        rate = parse_rate(self.settings.rate_limit)
        config.guards.append(require_scope)
        config.middleware.extend(
            [
                request_log,
                PrometheusConfig(app_name="factdesk", prefix="factdesk", group_path=True).middleware,
                *([rate_limit(rate).middleware] if rate else []),
            ]
        )
        config.request_class = StrictRequest
        config.before_request = _allowed_methods

    def _configure_state(self, config: AppConfig) -> None:
        config.state.update(
            {
                "keys": self.keys,
                "organization": self.settings.organization,
                "public_url": self.settings.public_url,
                "net": self.net,
                "fetch_slots": FetchSlots(),
            }
        )

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """The archive opened once (models loaded), the vector file saved when due, webhooks sent."""
        archive = self.archive or await anyio.to_thread.run_sync(open_archive, self.settings)
        app.state.archive = archive
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_save_vectors_when_due, archive)
                if self.net.enabled:
                    tasks.start_soon(deliver_forever, archive.watches, self.net, DeliveryConfig.of(self.settings))
                yield
                tasks.cancel_scope.cancel()
        finally:
            if self.archive is None:
                await anyio.to_thread.run_sync(archive.close)  # saves what is left


def create_app(settings: Settings | None = None, archive: Archive | None = None) -> Litestar:
    """The API over `archive`, or over the archive `settings` name (opened in the lifespan, closed after)."""
    plugin = FactdeskPlugin(settings or get_settings(), archive)
    # the body limit is set here: litestar takes it from its own argument only, not from a plugin's AppConfig
    plugins = [StrictStructSchemaPlugin(), problems_plugin(), plugin]
    return Litestar(plugins=plugins, request_max_body_size=plugin.settings.max_body_bytes)


def serve_app(settings: Settings) -> Litestar:
    """The app a `factdesk serve` worker runs (the settings come whole from the command line, pickled for each
    worker process): its logging configured first."""
    configure(settings.log_format)
    return create_app(settings)
