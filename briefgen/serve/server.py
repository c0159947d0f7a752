"""The HTTP side of the dev server: files from memory, the live-reload client, and SSE."""

from __future__ import annotations

import contextlib
import html
import http.client
import ipaddress
import json
import mimetypes
import queue
import socket
import sys
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


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
READ_TIMEOUT = 10.0  # seconds a client may take to send a request (and to take a response)
MAX_HEADER_BYTES = 16 * 1024  # request line and headers together
MAX_HEADER_LINES = 64
MAX_CONNECTIONS = 128  # open connections at once, event streams included


def is_loopback(host: str) -> bool:
    """True for a loopback name or address (``localhost``, 127.x.x.x, ``::1``)."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split_host(value: str) -> tuple[str, int | None] | None:
    """``(host, port)`` of a Host header or Origin's authority; None when malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1:]
    else:
        host, _, port = value.partition(":")
        rest = ":" + port if port else ""
    if rest and (not rest.startswith(":") or not rest[1:].isdigit() or len(rest) > 6):
        return None
    return host, int(rest[1:]) if rest else None


class HostCheck:
    """Which ``Host`` (and ``Origin``) values the dev server answers.

    A page on another site can make the browser send requests to 127.0.0.1 under the
    attacker's own domain name (DNS rebinding); such requests carry that name in ``Host``.
    So only the bound address, the loopback names and, on a wildcard bind, IP literals (which
    cannot be rebound) and this machine's host name are accepted, always with the bound port.
    """

    def __init__(self, bound: str, port: int) -> None:
        self.port = port
        bound = bound.strip("[]").lower()
        self.names = set(LOOPBACK_NAMES) | {bound}
        self.wildcard = bound in ("", "0.0.0.0", "::")  # nosec B104 - compared, not bound
        if self.wildcard:
            self.names |= {socket.gethostname().lower(), socket.getfqdn().lower()}

    def host_ok(self, header: str | None) -> bool:
        """True when a request's ``Host`` header names this server."""
        if not header:
            return False  # HTTP/1.1 requires it; browsers always send it
        parts = _split_host(header)
        if parts is None:
            return False
        host, port = parts
        if port is not None and port != self.port:
            return False
        if port is None and self.port != 80:
            return False
        return host in self.names or (self.wildcard and _is_ip(host))

    def origin_ok(self, origin: str | None) -> bool:
        """True when there is no ``Origin`` (not a cross-site browser request) or it is this
        server's own origin."""
        if origin is None:
            return True
        scheme, sep, authority = origin.partition("://")
        return sep != "" and scheme.lower() == "http" and self.host_ok(authority)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _CappedReader:
    """A request's input stream that refuses more than ``MAX_HEADER_BYTES`` of request
    line and headers, or more than ``MAX_HEADER_LINES`` lines (the standard library
    allows 100 lines of 64 KiB each: 6.4 MB a connection)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.left = MAX_HEADER_BYTES
        self.lines = 0

    def reset(self) -> None:
        self.left = MAX_HEADER_BYTES
        self.lines = 0

    def readline(self, limit: int = -1) -> bytes:
        self.lines += 1
        if self.left <= 0 or self.lines > MAX_HEADER_LINES + 1:
            raise http.client.LineTooLong("request headers")
        size = self.left + 1 if limit < 0 else min(limit, self.left + 1)
        line: bytes = self.raw.readline(size)
        self.left -= len(line)
        if self.left < 0:
            raise http.client.LineTooLong("request headers")
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class Handler(BaseHTTPRequestHandler):
    """Serves the in-memory site; the app is attached by ``make_server``."""

    server_version = "briefgen-serve"
    timeout = READ_TIMEOUT  # per connection: a client that stalls is dropped
    files: Callable[[], Mapping[str, bytes]]
    hello: Callable[[], Mapping[str, Any]]
    hub: Hub
    hosts: HostCheck

    def setup(self) -> None:
        super().setup()
        self.rfile = _CappedReader(self.rfile)  # type: ignore[assignment]

    def handle_one_request(self) -> None:
        self.rfile.reset()  # type: ignore[attr-defined]
        try:
            super().handle_one_request()
        except http.client.LineTooLong:  # the request line itself was over the cap
            self.close_connection = True
            self.requestline = self.request_version = self.command = ""
            with contextlib.suppress(OSError):
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for build errors, not for every request."""

    def _allowed(self) -> bool:
        """Refuse requests for another host name (DNS rebinding) and cross-site streams."""
        if not self.hosts.host_ok(self.headers.get("Host")):
            self._refuse(HTTPStatus.MISDIRECTED_REQUEST,
                         "briefgen serve answers only to its own address (Host refused)")
            return False
        if self.path.startswith(PREFIX) and (
                not self.hosts.origin_ok(self.headers.get("Origin"))
                or self.headers.get("Sec-Fetch-Site", "same-origin") not in
                ("same-origin", "none")):
            self._refuse(HTTPStatus.FORBIDDEN, "cross-origin request refused")
            return False
        return True

    def _refuse(self, status: HTTPStatus, text: str) -> None:
        self.close_connection = True
        self._send(status, text.encode() + b"\n", "text/plain; charset=utf-8", head=False)

    def _respond(self, *, head: bool) -> None:
        if not self._allowed():
            return
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
    """One thread per connection, daemonic so an open SSE stream never blocks shutdown.

    At most ``MAX_CONNECTIONS`` are served at once; more are closed at once. A client
    that goes away mid-request costs nothing on the terminal; any other failure while
    handling a request prints one line, never a traceback.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many tabs reconnecting at once must not overflow the backlog
    max_connections = MAX_CONNECTIONS
    echo: Callable[[str], None] = staticmethod(lambda text: None)

    def server_activate(self) -> None:
        super().server_activate()
        self._slots = threading.BoundedSemaphore(self.max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # over the cap: closed without reading
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        kind, exc = sys.exc_info()[:2]
        if kind is not None and issubclass(kind, ConnectionError | TimeoutError):
            return  # the client went away or stalled: nothing to report
        self.echo(f"serve: error answering {client_address[0]}: "
                  f"{getattr(kind, '__name__', 'error')}: {exc}")


class Server6(Server):
    """The same, for an IPv6 address such as ``::1``."""

    address_family = socket.AF_INET6


def make_server(
    host: str, port: int, *, files: Callable[[], Mapping[str, bytes]],
    hello: Callable[[], Mapping[str, Any]], hub: Hub,
    echo: Callable[[str], None] | None = None,
) -> Server:
    """A bound server whose handler reads files through ``files()`` on every request."""
    handler: type[Handler] = type("BoundHandler", (Handler,), {
        "files": staticmethod(files), "hello": staticmethod(hello), "hub": hub})
    server = (Server6 if ":" in host else Server)((host, port), handler)
    handler.hosts = HostCheck(host, server.server_address[1])
    if echo is not None:
        server.echo = echo
    return server
