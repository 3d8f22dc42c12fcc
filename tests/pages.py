"""A local web site on 127.0.0.1 standing in for the pages factdesk fetches (used by the netguard and fetch tests)."""

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

ARTICLE = """<!doctype html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Bukavu water plant reopens after repairs | Kivu Courier</title>
<meta name="author" content="Amani Mwamba">
<meta property="og:site_name" content="Kivu Courier">
<meta property="og:title" content="Bukavu water plant reopens after repairs">
<meta property="article:published_time" content="2025-03-14T08:30:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article>
<h1>Bukavu water plant reopens after repairs</h1>
<p>The main water treatment plant of Bukavu reopened on Thursday after six weeks of repairs, the provincial
water authority said. About 300,000 residents had relied on lake water and delivery trucks since January.</p>
<p>Engineers replaced two pumps and a filter bed damaged by a landslide, according to the authority's
director. The repairs cost 1.2 million dollars, paid by the provincial government and a development bank.</p>
<p>Residents of the Kadutu district said the taps were running again by Thursday evening. The authority
expects full pressure across the city within a week.</p>
</article>
<footer>Copyright Kivu Courier</footer>
</body></html>
"""
NOTES = "The ferry between Goma and Bukavu resumed service on Monday, the port authority said.\n"
BIG = 6 * 2**20  # over the 5 MiB cap


@dataclass
class Site:
    port: int
    requests: list[str] = field(default_factory=list)  # paths asked for, in order

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


class _Handler(http.server.BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        self.site.requests.append(self.path)
        if self.path.startswith("/hop/"):  # /hop/N redirects N times before the article
            n = int(self.path.removeprefix("/hop/"))
            return self._redirect(f"/hop/{n - 1}" if n > 1 else "/article")
        if self.path == "/elsewhere":  # to a loopback address the tests do not allow
            return self._redirect(f"http://127.0.0.2:{self.site.port}/article")
        if self.path == "/article":
            return self._send("text/html; charset=utf-8", ARTICLE.encode())
        if self.path == "/notes.txt":
            return self._send("text/plain", NOTES.encode())
        if self.path == "/odd-charset":  # a charset Python has no codec for
            return self._send("text/plain; charset=no-such-thing", NOTES.encode())
        if self.path == "/host":
            return self._send("text/plain", (self.headers["Host"] or "").encode())
        if self.path == "/report.pdf":
            return self._send("application/pdf", b"%PDF-1.4 not really\n")
        if self.path == "/photo":
            return self._send("image/png", b"\x89PNG\r\n\x1a\n")
        if self.path == "/slow":  # a page that trickles a byte every half second, for six seconds
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(12):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                time.sleep(0.5)
            return
        if self.path == "/big":  # no Content-Length: only counting the bytes read finds it too large
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_529 + b"</p>\n"
            for _ in range(BIG // len(chunk) + 1):
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):  # the client stopped reading: the point
                    return
            return
        self.send_error(404)

    def do_POST(self) -> None:
        self.site.requests.append(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send("application/json", body, status=202)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, content_type: str, body: bytes, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_pages() -> Iterator[Site]:
    """The site on 127.0.0.1 (only: a connection to 127.0.0.2 or ::1 would find nobody) on a free port."""
    handler = type("Handler", (_Handler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True  # a /slow download still dripping does not hold up the shutdown
    server.block_on_close = False
    handler.site = Site(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler.site
    finally:
        server.shutdown()
        server.server_close()
