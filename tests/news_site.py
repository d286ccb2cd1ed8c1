"""A small news web site on 127.0.0.1 for the tests: saved pages and feeds, and pages that misbehave.

``tests/data/web/site/`` holds the pages the way outlets publish them (see its
README). A request for ``/a/b`` is answered with ``a/b.html`` (UTF-8),
``a/b.cp1254.html`` (Windows-1254, declared only in the Content-Type header)
or the file ``a/b`` itself (feeds, robots.txt); ``{{BASE}}`` in a file becomes
the site's address. Misbehaving pages:

* ``/missing`` 404, ``/broken`` 500;
* ``/slow``: headers, then nothing until the site stops;
* ``/loop``: redirects to ``/loop/again``, which redirects back;
* ``/report.pdf``: a PDF;
* ``/huge``: a 50 MB HTML body, generated and streamed, never held in memory;
* ``/moved/…``: a 301 to the rest of the path; ``/go?to=URL``: a 302 to any URL.

:meth:`NewsSite.put` replaces what a path serves (a feed that gains an item),
and :attr:`NewsSite.requests` records every path asked for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html

SITE = Path(__file__).parent / "data" / "web" / "site"
PLACEHOLDER = b"{{BASE}}"
HUGE_BYTES = 50 * 1000 * 1000
CHUNK = b"<p>" + b"filler " * 1400 + b"</p>\n"  # about 10 kB
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TYPES = {
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
}
PAGE_FILES = ((".html", "text/html; charset=utf-8"), (".cp1254.html", "text/html; charset=windows-1254"))


ARTICLE_PAGES = (
    "/2018/09/turkey-reinforces-idlib-posts",
    "/world/idlib-aid-agencies-warn-of-exodus",
    "/2018/09/hatay-braces-for-arrivals",
    "/2018/09/russia-turkey-agree-sochi-talks",
    "/world/idlib-deadline-passes",
)


@dataclass(frozen=True)
class PageTruth:
    """What a page's marks say: the article's paragraphs, and the site furniture around them."""

    body: tuple[str, ...]
    chrome: tuple[str, ...]


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


def page_truth(page: bytes, charset: str = "utf-8") -> PageTruth:
    """The ``data-truth`` marks of a saved page (see tests/data/web/README.md)."""
    tree = lxml.html.fromstring(page.decode(charset))
    return PageTruth(
        body=tuple(_text(element) for element in tree.xpath('//*[@data-truth="body"]')),
        chrome=tuple(_text(element) for element in tree.xpath('//*[@data-truth="chrome"]')),
    )


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
        pass

    def do_GET(self) -> None:
        site = self.server.site
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        site.requests.append(path)
        if path in site.overrides:
            body, content_type = site.overrides[path]
            self._send(200, content_type, body)
        elif path == "/missing":
            self._send(404, "text/html; charset=utf-8", b"<h1>Not Found</h1>")
        elif path == "/broken":
            self._send(500, "text/html; charset=utf-8", b"<h1>Internal Server Error</h1>")
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.flush()
            site.stopping.wait()
        elif path in ("/loop", "/loop/again"):
            self._redirect(302, "/loop/again" if path == "/loop" else "/loop")
        elif path.startswith("/moved/"):
            self._redirect(301, path[len("/moved") :])
        elif path == "/go":
            self._redirect(302, parse_qs(urlsplit(self.path).query)["to"][0])
        elif path == "/report.pdf":
            self._send(200, "application/pdf", PDF)
        elif path == "/huge":
            self._send_huge()
        else:
            found = site.file_for(path)
            if found is None:
                self._send(404, "text/html; charset=utf-8", b"<h1>Not Found</h1>")
            else:
                self._send(200, found[1], found[0].read_bytes().replace(PLACEHOLDER, site.base_url.encode()))

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_huge(self) -> None:
        """50 MB of HTML, chunked and without a Content-Length, so only counting can stop it."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"%x\r\n<html><body>\r\n" % len(b"<html><body>"))
        sent = 0
        try:
            while sent < HUGE_BYTES and not self.server.site.stopping.is_set():
                self.wfile.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                sent += len(CHUNK)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading: what we want
            self.server.site.huge_abandoned_at = sent
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: "NewsSite") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = site


class NewsSite:
    """The site, started on a free port of 127.0.0.1 as a context manager."""

    def __init__(self) -> None:
        self.overrides: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []
        self.stopping = threading.Event()
        self.huge_abandoned_at: int | None = None
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="news-site", daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """The full address of a path on the site."""
        return self.base_url + path

    def file_for(self, path: str) -> tuple[Path, str] | None:
        """The saved file a path serves, with its content type."""
        relative = path.strip("/")
        if not relative or ".." in relative.split("/"):
            return None
        for suffix, content_type in PAGE_FILES:
            candidate = SITE / (relative + suffix)
            if candidate.is_file():
                return candidate, content_type
        candidate = SITE / relative
        if candidate.is_file():
            return candidate, TYPES.get(candidate.suffix, "application/octet-stream")
        return None

    def truth(self, path: str) -> PageTruth:
        """The marked article paragraphs and chrome of the page at ``path``."""
        found = self.file_for(path)
        assert found is not None, path
        return page_truth(found[0].read_bytes(), found[1].partition("charset=")[2] or "utf-8")

    def put(self, path: str, body: bytes | str, content_type: str) -> None:
        """Serve ``body`` at ``path`` from now on (``{{BASE}}`` filled in)."""
        data = body.encode() if isinstance(body, str) else body
        self.overrides[path] = (data.replace(PLACEHOLDER, self.base_url.encode()), content_type)

    def __enter__(self) -> "NewsSite":
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
