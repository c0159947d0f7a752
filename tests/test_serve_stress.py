"""The dev server under stress: bad requests, 100 live-reload clients, a change storm."""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, brief
from test_serve import _raw_request, _read_until, _sse_connect, live  # noqa: F401 - fixture

from briefgen.serve import DevServer


def _rss_mib() -> float:
    """This process's resident memory now (``ru_maxrss`` is a lifetime peak: growth after
    start-up would not show in it)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


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
        gc.collect()
        before = _rss_mib()
        peak = [before]
        sampling = threading.Event()

        def sample() -> None:  # the growth itself, not the process's lifetime high-water mark
            while not sampling.wait(0.05):
                peak[0] = max(peak[0], _rss_mib())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
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
        sampling.set()
        sampler.join()
        gc.collect()
        kept, top = _rss_mib() - before, peak[0] - before
        print(f"\nstorm: memory kept {kept:.0f} MiB, peak rise {top:.0f} MiB, {elapsed:.1f} s")
        # A thousand new briefs in memory (pages, memos) take some tens of MiB; the peak
        # while building them is bounded too.
        assert kept < 100, f"memory kept {kept:.0f} MiB after the storm"
        assert top < 200, f"memory rose by {top:.0f} MiB during the storm"
        assert elapsed < 120
        assert _raw_request(server.url, b"/index.html").startswith(b"HTTP/1.0 200")
    finally:
        for sock in clients:
            sock.close()


# -- host and origin checks (DNS rebinding) ------------------------------------------------

def _request(url: str, lines: list[str], timeout: float = 10) -> bytes:
    """One HTTP/1.0 request with exactly these header lines; the whole reply."""
    host, port = url.removeprefix("http://").strip("/").split(":")
    head = "\r\n".join(lines) + "\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def test_only_its_own_host_names_are_answered(live: tuple[Path, DevServer]) -> None:
    _, server = live
    port = server.url.rstrip("/").rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert _status(_request(server.url, ["GET /index.json HTTP/1.0", f"Host: {host}"])) \
            == 200, host
    for host in (f"rebind.attacker.test:{port}", f"127.0.0.1:{int(port) + 1}", "127.0.0.1",
                 f"localhost.attacker.test:{port}", f"127.0.0.1:{port}@evil", "", "[::1"):
        reply = _request(server.url, ["GET /index.json HTTP/1.0", f"Host: {host}"])
        assert _status(reply) == 421, host
        assert b'"briefs"' not in reply
    no_host = _request(server.url, ["GET /index.json HTTP/1.0"])
    assert _status(no_host) == 421


def test_event_stream_refuses_other_origins(live: tuple[Path, DevServer]) -> None:
    _, server = live
    port = server.url.rstrip("/").rsplit(":", 1)[1]
    host = f"Host: 127.0.0.1:{port}"
    for origin in ("http://evil.test", f"http://rebind.attacker.test:{port}", "null",
                   f"https://127.0.0.1:{port}"):
        reply = _request(server.url, ["GET /__briefgen/events HTTP/1.0", host,
                                      f"Origin: {origin}"])
        assert _status(reply) == 403, origin
        assert b"data:" not in reply
    cross = _request(server.url, ["GET /__briefgen/events HTTP/1.0", host,
                                  "Sec-Fetch-Site: cross-site"])
    assert _status(cross) == 403
    # The page's own origin gets the stream.
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    try:
        sock.sendall(f"GET /__briefgen/events HTTP/1.0\r\n{host}\r\n"
                     f"Origin: http://localhost:{port}\r\nSec-Fetch-Site: same-origin\r\n\r\n"
                     .encode())
        buffer = bytearray()
        _read_until(sock, b'"type":"hello"', buffer)
        assert buffer.startswith(b"HTTP/1.0 200")
    finally:
        sock.close()


def test_loopback_names() -> None:
    from briefgen.serve.server import HostCheck, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    wild = HostCheck("0.0.0.0", 8000)
    assert wild.host_ok("192.168.1.2:8000")  # an IP literal cannot be rebound
    assert not wild.host_ok("rebind.attacker.test:8000")
    six = HostCheck("::1", 8000)
    assert six.host_ok("[::1]:8000") and not six.host_ok("[::2]:8000")


def test_non_loopback_host_warns(make_site: Callable[..., Path]) -> None:
    from briefgen import serve as serve_mod

    root = make_site(_quiet_files())
    said: list[str] = []

    class Stop(Exception):
        pass

    def fail_start(self: DevServer) -> None:
        raise Stop

    original = DevServer.start
    DevServer.start = fail_start  # type: ignore[method-assign]
    try:
        with pytest.raises(Stop):
            serve_mod.serve(root, host="0.0.0.0", port=0, echo=said.append)
    finally:
        DevServer.start = original  # type: ignore[method-assign]
    assert any("not a loopback address" in line for line in said), said


def _quiet_files() -> dict[str, str]:
    return {"content/briefs/2026-11-10-a.md": brief("A brief", "2026-11-10", "Text.")}


# -- per-connection limits ------------------------------------------------------------------

def test_header_size_and_count_are_capped(live: tuple[Path, DevServer]) -> None:
    _, server = live
    port = server.url.rstrip("/").rsplit(":", 1)[1]
    host = f"Host: 127.0.0.1:{port}"
    big = _request(server.url, ["GET / HTTP/1.0", host, "X-Big: " + "b" * 20_000])
    assert _status(big) == 431
    many = _request(server.url, ["GET / HTTP/1.0", host] + [f"X-{n}: y" for n in range(80)])
    assert _status(many) == 431
    line = _request(server.url, ["GET /" + "a" * 20_000 + " HTTP/1.0", host])
    assert _status(line) == 431
    fine = _request(server.url, ["GET / HTTP/1.0", host] + [f"X-{n}: y" for n in range(30)])
    assert _status(fine) == 200


def test_unfinished_huge_headers_hold_no_memory(live: tuple[Path, DevServer]) -> None:
    """Fifty clients each trickling a megabyte of header without ever ending it."""
    _, server = live
    port = int(server.url.rstrip("/").rsplit(":", 1)[1])
    gc.collect()
    before = _rss_mib()
    socks = []
    try:
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: ".encode())
            socks.append(sock)
        # Header lines just under the standard library's 64 KiB line limit, never ended.
        chunk = b"y" * 60_000 + b"\r\nX-More: "
        for _ in range(32):
            for sock in socks:
                with contextlib.suppress(OSError):  # the server gave up on it: as it should
                    sock.sendall(chunk)
        time.sleep(0.5)
        grown = _rss_mib() - before
        assert grown < 20, f"{grown:.0f} MiB held by unfinished headers"
    finally:
        for sock in socks:
            sock.close()
    assert _status(_request(server.url, ["GET / HTTP/1.0", f"Host: 127.0.0.1:{port}"])) == 200


def test_stalled_connections_are_dropped_and_the_server_recovers(
        make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from briefgen.serve import server as server_mod

    assert server_mod.Handler.timeout is not None and server_mod.Handler.timeout <= 30
    monkeypatch.setattr(server_mod.Handler, "timeout", 0.5)  # the same code, sooner
    root = make_site(_quiet_files())
    said: list[str] = []
    with DevServer(root, port=0, echo=said.append) as server:
        port = int(server.url.rstrip("/").rsplit(":", 1)[1])
        idle = socket.create_connection(("127.0.0.1", port), timeout=5)
        idle.sendall(b"GET / HTTP/1.1\r\n")  # and nothing more
        started = time.monotonic()
        try:
            closed = idle.recv(100) == b""  # the server closes it after its read timeout
        except TimeoutError:
            closed = False
        assert closed and time.monotonic() - started < 3
        idle.close()
        # Two thousand slow clients: the first ones take every slot, the rest are closed at
        # once; when they are gone, the next request is answered promptly.
        slow = []
        for _ in range(2000):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x")
                slow.append(sock)
            except OSError:
                break
        for sock in slow:
            sock.close()
        started = time.monotonic()
        reply = b""
        while time.monotonic() - started < 5:
            try:
                reply = _request(server.url, ["GET / HTTP/1.0", f"Host: 127.0.0.1:{port}"],
                                 timeout=2)
            except OSError:
                continue
            if reply:
                break
        assert _status(reply) == 200
        assert time.monotonic() - started < 5
    assert not any("Traceback" in line for line in said), said


def test_a_client_that_goes_away_prints_nothing(
        live: tuple[Path, DevServer], capfd: pytest.CaptureFixture[str]) -> None:
    root, server = live
    (root / "themes/default/static").mkdir(parents=True, exist_ok=True)
    port = int(server.url.rstrip("/").rsplit(":", 1)[1])
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.sendall(f"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        sock.close()  # reset before the answer is read
        events = _sse_connect(server.url)
        events.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        events.close()
    time.sleep(0.5)
    assert _status(_request(server.url, ["GET / HTTP/1.0", f"Host: 127.0.0.1:{port}"])) == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err, err


def test_escape_sequences_in_file_names_are_shown_harmlessly() -> None:
    from briefgen.serve import printable

    shown = printable("content/briefs/\x1b]0;pwned\x07\x1b[2Jx.md: error")
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b]0;pwned" in shown


@pytest.mark.browser
def test_dns_rebinding_page_cannot_read_the_digest(browser: Any,
                                                  live: tuple[Path, DevServer]) -> None:
    """Chromium resolves an attacker's name to 127.0.0.1, as a rebinding DNS server would;
    the page at that name must not get the digest or the event stream."""
    _, server = live
    port = int(server.url.rstrip("/").rsplit(":", 1)[1])
    args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1"]
    # A second Chromium from the session's Playwright driver, with the resolver rule.
    chromium = browser.browser_type.launch(executable_path=str(CHROMIUM), args=args)
    try:
        page = chromium.new_page()
        attacked = page.goto(f"http://rebind.attacker.test:{port}/")
        assert attacked is not None and attacked.status == 421
        assert "Digest" not in page.content()
        stolen = page.evaluate("""async () => {
            const out = [];
            for (const path of ['/index.json', '/index.html', '/__briefgen/events']) {
                try {
                    const r = await fetch(path);
                    out.push(r.status + ' ' + (await r.text()).slice(0, 200));
                } catch (e) { out.push('failed'); }
            }
            return out;
        }""")
        assert all(not s.startswith("200") for s in stolen), stolen
        assert not any('"briefs"' in s or "data:" in s for s in stolen), stolen
        # The same browser at the real address is served: the refusal is by name.
        own = chromium.new_page()
        ok = own.goto(f"http://127.0.0.1:{port}/")
        assert ok is not None and ok.status == 200
        # A page of another site cannot read the event stream either.
        other = chromium.new_page()
        other.goto(f"http://localhost:{port}/index.json")  # another origin, same server
        leaked = other.evaluate(f"""() => new Promise(done => {{
            const es = new EventSource('http://127.0.0.1:{port}/__briefgen/events');
            es.onmessage = m => {{ es.close(); done('leaked ' + m.data); }};
            es.onerror = () => {{ es.close(); done('refused'); }};
            setTimeout(() => done('timeout'), 5000);
        }})""")
        assert leaked == "refused", leaked
    finally:
        chromium.close()


# -- the fast path keeps the limits of a full build ------------------------------------------

def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _codes(server: DevServer) -> set[str]:
    return {str(e["code"]) for e in server.site.hello()["errors"]}


def test_a_brief_grown_past_the_limit_is_refused_while_serving(
        live: tuple[Path, DevServer]) -> None:
    """A brief grown to 50 MB was rendered and pushed inline to every client."""
    root, server = live
    good = server.site.files()["briefs/b0.html"]
    path = root / "content/briefs/2026-11-10-b0.md"
    huge = path.read_text() + ("Padding words for a very long brief. " * 160_000)
    assert len(huge) > 5 * 1024 * 1024
    sock = _sse_connect(server.url)
    buffer = bytearray()
    try:
        _read_until(sock, b'"type":"hello"', buffer)
        path.write_text(huge)
        server.site.handle([str(path)])
        _wait_for(lambda: "BG-IO001" in _codes(server))
        assert server.site.files()["briefs/b0.html"] == good
        time.sleep(0.5)
        sock.settimeout(0.5)
        with contextlib.suppress(OSError):
            while chunk := sock.recv(1 << 20):
                buffer += chunk
        assert len(buffer) < 1024 * 1024, "the oversized brief was pushed to the browser"
    finally:
        sock.close()
    path.write_text(path.read_text()[:2000].replace("Padding", "Fixed"))
    server.site.handle([str(path)])
    _wait_for(lambda: "BG-IO001" not in _codes(server))


def test_a_fifo_brief_while_serving_is_reported_and_the_server_recovers(
        live: tuple[Path, DevServer]) -> None:
    """A FIFO named *.md once hung the build thread for good."""
    root, server = live
    fifo = root / "content/briefs/pipe.md"
    os.mkfifo(fifo)
    server.site.handle([str(fifo)])
    _wait_for(lambda: "BG-IO001" in _codes(server))
    [problem] = [e for e in server.site.hello()["errors"] if e["code"] == "BG-IO001"]
    assert problem["path"] == "content/briefs/pipe.md" and "FIFO" in str(problem["message"])
    fifo.unlink()
    path = root / "content/briefs/2026-11-11-b1.md"
    path.write_text(path.read_text().replace("Paragraph one", "Recovered paragraph"))
    server.site.handle([str(fifo), str(path)])
    _wait_for(lambda: b"Recovered paragraph" in server.site.files()["briefs/b1.html"])
    _wait_for(lambda: "BG-IO001" not in _codes(server))  # after the follow-up full build
