"""The HTTP side of the dev server: files from memory, the live-reload client, and SSE."""

from __future__ import annotations

import html
import json
import mimetypes
import queue
import socket
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import unquote

PREFIX = "/__briefgen/"
EVENTS = PREFIX + "events"
HEARTBEAT = 15.0  # seconds between SSE comments, so dead connections get noticed
_NOT_FOUND = b"<!DOCTYPE html><title>Not found</title><body>Not found</body>"
_STATIC = {"client.js": "text/javascript; charset=utf-8",
           "worker.js": "text/javascript; charset=utf-8"}


def site_path(target: str) -> str | None:
    """The output path a request target names, or None when it is not a safe site path.

    Decodes percent-escapes exactly once; anything still escaped afterwards (double
    encoding), dot segments, hidden names, backslashes, control characters and absolute or
    scheme-qualified targets are refused rather than normalised.
    """
    raw = target.split("#", 1)[0].split("?", 1)[0]
    if not raw.startswith("/") or raw.startswith("//"):
        return None
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None
    if "%" in decoded or "\\" in decoded or any(ord(c) < 32 or ord(c) == 127 for c in decoded):
        return None
    parts = decoded[1:].split("/")
    for number, part in enumerate(parts):
        if part.startswith(".") or ":" in part:
            return None
        if not part and number != len(parts) - 1:
            return None  # "a//b": an empty segment is never a real file
    rel = "/".join(parts)
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel


def inject(page: bytes, tag: bytes) -> bytes:
    """``page`` with ``tag`` placed before the last ``</body>`` (or appended)."""
    at = page.rfind(b"</body>")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def with_client(page: bytes, rel: str) -> bytes:
    """An HTML page as served: with the live-reload client, which knows the page's path."""
    tag = f'<script src="{PREFIX}client.js" data-path="{html.escape(rel)}" defer></script>\n'
    return inject(page, tag.encode())


class Hub:
    """Fans messages out to every connected SSE client; one slow or dead client never
    blocks the others because each has its own queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: set[queue.SimpleQueue[bytes | None]] = set()
        self._closed = False

    def subscribe(self) -> queue.SimpleQueue[bytes | None]:
        """A new client's queue; ``None`` in it means the server is closing."""
        box: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        with self._lock:
            if self._closed:
                box.put(None)
            self._clients.add(box)
        return box

    def unsubscribe(self, box: queue.SimpleQueue[bytes | None]) -> None:
        """Forget a client that went away."""
        with self._lock:
            self._clients.discard(box)

    def publish(self, message: Mapping[str, Any]) -> None:
        """Send one JSON message to every client."""
        frame = b"data: " + json.dumps(message, separators=(",", ":")).encode() + b"\n\n"
        with self._lock:
            clients = list(self._clients)
        for box in clients:
            box.put(frame)

    def count(self) -> int:
        """How many clients are connected."""
        with self._lock:
            return len(self._clients)

    def close(self) -> None:
        """Tell every client stream to end."""
        with self._lock:
            self._closed = True
            clients = list(self._clients)
        for box in clients:
            box.put(None)


class Handler(BaseHTTPRequestHandler):
    """Serves the in-memory site; the app is attached by ``make_server``."""

    server_version = "briefgen-serve"
    files: Callable[[], Mapping[str, bytes]]
    hello: Callable[[], Mapping[str, Any]]
    hub: Hub

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for build errors, not for every request."""

    def _respond(self, *, head: bool) -> None:
        if (self.path == EVENTS or self.path.startswith(EVENTS + "?")) and not head:
            self._stream()
            return
        if self.path.startswith(PREFIX):
            name = self.path[len(PREFIX):].split("?", 1)[0]
            if name in _STATIC:
                data = resources.files("briefgen.serve").joinpath(name).read_bytes()
                self._send(HTTPStatus.OK, data, _STATIC[name], head=head)
                return
        rel = site_path(self.path)
        files = self.files()
        if rel is not None and rel not in files and (rel + "/index.html") in files:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", "/" + rel + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        found = files.get(rel) if rel is not None else None
        status = HTTPStatus.OK
        if rel is None or found is None:
            status, rel = HTTPStatus.NOT_FOUND, "404.html"
            found = files.get(rel)
        data = found if found is not None else _NOT_FOUND
        kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        if kind == "text/html":
            data = with_client(data, rel)
        if kind.startswith("text/") or kind in ("application/json", "application/xml"):
            kind += "; charset=utf-8"
        self._send(status, data, kind, head=head)

    def _send(self, status: HTTPStatus, data: bytes, kind: str, *, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _stream(self) -> None:
        """One SSE client: a hello with the current state, then every published message."""
        box = self.hub.subscribe()
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            hello = json.dumps(self.hello(), separators=(",", ":")).encode()
            self.wfile.write(b"retry: 500\n\ndata: " + hello + b"\n\n")
            self.wfile.flush()
            while True:
                try:
                    frame = box.get(timeout=HEARTBEAT)
                except queue.Empty:
                    frame = b": ping\n\n"
                if frame is None:
                    return
                self.wfile.write(frame)
                self.wfile.flush()
        except (ConnectionError, TimeoutError, OSError):
            return  # the browser went away; the others are unaffected
        finally:
            self.hub.unsubscribe(box)
            self.close_connection = True


class Server(ThreadingHTTPServer):
    """One thread per connection, daemonic so an open SSE stream never blocks shutdown."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many tabs reconnecting at once must not overflow the backlog


class Server6(Server):
    """The same, for an IPv6 address such as ``::1``."""

    address_family = socket.AF_INET6


def make_server(
    host: str, port: int, *, files: Callable[[], Mapping[str, bytes]],
    hello: Callable[[], Mapping[str, Any]], hub: Hub,
) -> Server:
    """A bound server whose handler reads files through ``files()`` on every request."""
    handler = type("BoundHandler", (Handler,), {
        "files": staticmethod(files), "hello": staticmethod(hello), "hub": hub})
    return (Server6 if ":" in host else Server)((host, port), handler)
