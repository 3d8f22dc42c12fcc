"""`/`: the fact-checker's desk, a page of the server's own static files."""

from pathlib import Path

import anyio
from litestar import Controller, Response, get

STATIC = Path(__file__).parents[1] / "static"
DESK = STATIC / "desk" / "index.html"
# the desk page runs only its own files: no inline script or style, nothing from another origin
DESK_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class DeskController(Controller):
    path = "/"
    tags = ["desk"]  # noqa: RUF012 (litestar reads these class attributes)

    @get(
        summary="The fact-checker's desk: a web page to check claims and drafts, search and add articles",
        description="`/?claim=TEXT` opens with that claim checked, `/?q=TEXT` with that search.",
        media_type="text/html",
    )
    async def desk(self) -> Response[bytes]:
        page = await anyio.Path(DESK).read_bytes()
        return Response(
            page,
            media_type="text/html",
            headers={"Content-Security-Policy": DESK_POLICY, "X-Content-Type-Options": "nosniff"},
        )
