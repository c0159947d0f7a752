"""A small GitHub-Pages-like HTTP server for tests: a project site under ``/repo/``."""

from __future__ import annotations

import http.server
import mimetypes
import posixpath
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit


def _handler(root: Path, prefix: str) -> type[http.server.BaseHTTPRequestHandler]:
    class Pages(http.server.BaseHTTPRequestHandler):
        """Folder -> index.html, a folder without its slash -> redirect, unknown -> 404.html."""

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

        def do_HEAD(self) -> None:
            """Headers only."""
            self._answer(body=False)

        def do_GET(self) -> None:
            """Serve a file, a redirect or the site's 404 page."""
            self._answer(body=True)

        def _answer(self, *, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            if path + "/" == prefix:
                self._redirect(prefix)
                return
            if not path.startswith(prefix):
                self._send(404, b"not found", "text/plain", body)
                return
            rel = posixpath.normpath(path[len(prefix):] or ".")
            if rel.startswith(".."):
                self._send(404, b"not found", "text/plain", body)
                return
            target = root / rel
            if target.is_dir():
                if not path.endswith("/"):
                    self._redirect(path + "/")
                    return
                target = target / "index.html"
            if target.is_file():
                kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                self._send(200, target.read_bytes(), kind, body)
                return
            missing = root / "404.html"
            if missing.is_file():
                self._send(404, missing.read_bytes(), "text/html", body)
            else:
                self._send(404, b"not found", "text/plain", body)

        def _redirect(self, location: str) -> None:
            self.send_response(301)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, data: bytes, kind: str, body: bool) -> None:
            self.send_response(status)
            charset = "; charset=utf-8" if kind.startswith("text/") else ""
            self.send_header("Content-Type", kind + charset)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

    return Pages


@contextmanager
def serve_pages(root: Path, prefix: str = "/repo/", port: int = 0) -> Iterator[str]:
    """Serve ``root`` at ``http://127.0.0.1:PORT{prefix}``; yields that base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(root, prefix))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
