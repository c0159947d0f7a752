"""The dev server under stress: bad requests, 100 live-reload clients, a change storm."""

from __future__ import annotations

import resource
import socket
import time
from pathlib import Path

from conftest import brief
from test_serve import _raw_request, _read_until, _sse_connect, live  # noqa: F401 - fixture

from briefgen.serve import DevServer


def _read_within(sock: socket.socket, needle: bytes, buffer: bytearray, deadline: float) -> None:
    while needle not in buffer:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        assert chunk, "stream ended"
        buffer += chunk
        assert time.monotonic() < deadline, "no update reached this client"


def _send(url: str, payload: bytes) -> bytes:
    host, port = url.removeprefix("http://").strip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close early on garbage; that is a fine answer
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except OSError:
            pass
    return data


def test_listens_on_loopback_by_default(live: tuple[Path, DevServer]) -> None:
    _, server = live
    assert server.url.startswith("http://127.0.0.1:")


def test_malformed_and_oversized_requests_do_not_break_it(
        live: tuple[Path, DevServer]) -> None:
    _, server = live
    for payload in (b"\x00\xff\xfe garbage\r\n\r\n", b"GET\r\n\r\n", b"BREW /pot HTTP/1.1\r\n\r\n",
                    b"GET /" + b"a" * 70_000 + b" HTTP/1.0\r\n\r\n",
                    b"GET / HTTP/1.0\r\n" + b"X-Big: " + b"b" * 70_000 + b"\r\n\r\n",
                    b"GET / HTTP/1.0\r\n" + b"X: y\r\n" * 500 + b"\r\n",
                    b"POST /index.html HTTP/1.0\r\nContent-Length: 99999999\r\n\r\nxx",
                    b"GET /%ZZ%%/ HTTP/1.0\r\n\r\n", b"GET /\xc0\xae\xc0\xae/ HTTP/1.0\r\n\r\n"):
        reply = _send(server.url, payload)
        assert b"Traceback" not in reply
        assert b" 200 " not in reply.split(b"\r\n", 1)[0] or payload.startswith(b"GET / ")
    ok = _raw_request(server.url, b"/index.html")
    assert ok.startswith(b"HTTP/1.0 200")


def test_hundred_clients_and_a_change_storm(live: tuple[Path, DevServer]) -> None:
    root, server = live
    clients = [_sse_connect(server.url) for _ in range(100)]
    buffers = [bytearray() for _ in clients]
    try:
        for sock, buffer in zip(clients, buffers, strict=True):
            _read_until(sock, b'"type":"hello"', buffer)
        # Ten of them vanish mid-stream.
        for sock in clients[:10]:
            sock.close()
        clients, buffers = clients[10:], buffers[10:]
        for buffer in buffers:
            buffer.clear()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        folder = root / "content" / "briefs"
        started = time.monotonic()
        for n in range(1000):  # a `git checkout` of a thousand new briefs
            (folder / f"storm-{n:04d}.md").write_text(
                brief(f"Storm brief {n}", "2026-11-20", f"Body of storm brief {n}."))
        deadline = time.monotonic() + 120
        page = b""
        while time.monotonic() < deadline:
            page = _raw_request(server.url, b"/briefs/storm-0999.html")
            if page.startswith(b"HTTP/1.0 200"):
                break
            time.sleep(0.5)
        assert page.startswith(b"HTTP/1.0 200"), "the storm's briefs never appeared"
        assert b"Storm brief 999" in page
        elapsed = time.monotonic() - started
        # Every remaining browser heard about the rebuild.
        for sock, buffer in zip(clients, buffers, strict=True):
            _read_within(sock, b'"type":"change"', buffer, deadline)
        grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert grown_mib < 500, f"memory grew by {grown_mib:.0f} MiB during the storm"
        assert elapsed < 120
        assert _raw_request(server.url, b"/index.html").startswith(b"HTTP/1.0 200")
    finally:
        for sock in clients:
            sock.close()
