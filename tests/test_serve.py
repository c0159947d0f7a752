"""The dev server without a browser: watch filter, debounce, path safety, SSE fan-out,
the fast rebuild path and error handling."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner
from conftest import REPO, brief

from briefgen.build import build_site
from briefgen.cli import main
from briefgen.config import load_config
from briefgen.serve import DevServer
from briefgen.serve.incremental import full_build
from briefgen.serve.server import Hub, site_path
from briefgen.serve.watcher import Debouncer, Watcher, is_ignored

ROOT = PurePosixPath("/s")


def _files(count: int = 3) -> dict[str, str]:
    files = {}
    for n in range(count):
        files[f"content/briefs/2026-11-{10 + n}-b{n}.md"] = brief(
            f"Brief number {n}", f"2026-11-{10 + n}", f"Paragraph one of brief {n}.\n\nMore.",
            tags="[alpha, beta]", entities="{people: [Ada Lovelace], places: [Turkey]}")
    return files


@pytest.fixture
def live(make_site: Callable[..., Path]) -> Iterator[tuple[Path, DevServer]]:
    """A dev server on a free port over a three-brief site, stopped at the end."""
    root = make_site(_files())
    server = DevServer(root, port=0, echo=lambda text: None, follow_up_delay=0.2)
    server.start()
    try:
        yield root, server
    finally:
        server.stop()


# -- watcher ------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", [
    "content/briefs/.a.md.swp", "content/briefs/a.md.swp", "content/briefs/a.md~",
    "content/briefs/.#a.md", "content/briefs/4913", "content/briefs/a.md.tmp",
    "content/briefs/#a.md#", ".git/index", "site/index.html", ".briefgen/cache",
    "content/.hidden/a.md", "content/briefs/.a.md.XyZ12.tmp", "themes/default/x.html.bak",
])
def test_watch_filter_ignores_editor_and_output_files(rel: str) -> None:
    assert is_ignored(ROOT / rel, ROOT, ("site", ".briefgen"))


@pytest.mark.parametrize("rel", [
    "content/briefs/2026-11-20-a.md", "briefgen.yaml", "themes/default/static/style.css",
    "content/articles/dump.txt", "content/entities.yaml", "themes/default/templates/brief.html",
])
def test_watch_filter_keeps_sources(rel: str) -> None:
    assert not is_ignored(ROOT / rel, ROOT, ("site", ".briefgen"))


def test_watch_filter_refuses_paths_outside_the_root() -> None:
    assert is_ignored(PurePosixPath("/elsewhere/a.md"), ROOT)


def test_debounce_waits_for_quiet_and_merges_a_burst() -> None:
    bounce = Debouncer(quiet=0.02, max_wait=0.25)
    assert bounce.due() is None
    for step in range(5):  # an editor's burst: five events 5 ms apart, one path twice
        bounce.add(f"p{step % 4}", 1.0 + step * 0.005)
    assert bounce.take(1.03) == ()  # only 10 ms after the last event
    assert bounce.due() == pytest.approx(1.04)
    assert bounce.take(1.04) == ("p0", "p1", "p2", "p3")
    assert bounce.due() is None and bounce.take(5.0) == ()


def test_debounce_never_waits_longer_than_max_wait() -> None:
    bounce = Debouncer(quiet=0.02, max_wait=0.1)
    now = 0.0
    while now < 0.095:  # a steady trickle that never goes quiet
        bounce.add("trickle", now)
        now += 0.01
    assert bounce.due() == pytest.approx(0.1)
    assert bounce.take(0.1) == ("trickle",)


def test_debounce_settles_fast_once_a_write_is_complete() -> None:
    bounce = Debouncer(quiet=0.02, max_wait=0.25, settle=0.003)
    bounce.add("a.md", 1.0)
    bounce.add("a.md", 1.001, final=True)  # closed after writing: the save is done
    assert bounce.due() == pytest.approx(1.004)
    bounce.add("b.md", 1.002)  # but a burst goes on: wait the full window again
    assert bounce.due() == pytest.approx(1.022)
    assert bounce.take(1.022) == ("a.md", "b.md")


def test_watcher_turns_a_burst_into_one_batch(tmp_path: Path) -> None:
    batches: list[tuple[str, ...]] = []
    done = threading.Event()

    def on_batch(batch: tuple[str, ...]) -> None:
        batches.append(batch)
        done.set()

    watcher = Watcher(tmp_path, [], on_batch, skip_dirs=("site",), quiet=0.05, max_wait=1.0)
    watcher.start()
    try:
        for name in ("a.md", "a.md.swp", "4913", "b.md", "a.md", "site/x.html"):
            watcher.notify(str(tmp_path / "content" / name) if name != "site/x.html"
                           else str(tmp_path / name))
        assert done.wait(5)
        time.sleep(0.15)
    finally:
        watcher.stop()
    assert batches == [(str(tmp_path / "content/a.md"), str(tmp_path / "content/b.md"))]


@pytest.mark.parametrize("poll", [False, True])
def test_real_file_events_reach_the_watcher(tmp_path: Path, poll: bool) -> None:
    (tmp_path / "content").mkdir()
    seen: list[str] = []
    got = threading.Event()

    def on_batch(batch: tuple[str, ...]) -> None:
        seen.extend(batch)
        got.set()

    watcher = Watcher(tmp_path, [(tmp_path / "content", True)], on_batch, poll=poll)
    watcher.start()
    try:
        (tmp_path / "content" / ".x.md.swp").write_text("swap")
        (tmp_path / "content" / "x.md").write_text("hello")
        assert got.wait(5)
    finally:
        watcher.stop()
    assert seen and all(p.endswith("x.md") and ".swp" not in p for p in seen)


# -- request paths ------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/../etc/passwd", "/briefs/../../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E/%2E%2E/x",
    "/%252e%252e/etc/passwd", "/..%2fetc%2fpasswd", "/..%5c..%5cwindows", "/a\\..\\b",
    "/%00index.html", "/index.html%00.css", "//etc/passwd", "/%2fetc/passwd", "/./index.html",
    "http://example.com/index.html", "/C:/Windows/win.ini", "/%c0%ae%c0%ae/etc/passwd",
    "/.git/config", "/.nojekyll", "*", "/a/%0d%0aSet-Cookie:x", "/%uff0e%uff0e/x",
])
def test_unsafe_targets_are_refused(target: str) -> None:
    assert site_path(target) is None


@pytest.mark.parametrize(("target", "rel"), [
    ("/", "index.html"), ("/index.html?x=1", "index.html"),
    ("/briefs/a-b.html#top", "briefs/a-b.html"),
    ("/editions/2026-11-20/", "editions/2026-11-20/index.html"),
    ("/tags/caf%C3%A9.html", "tags/café.html"),
])
def test_safe_targets_map_to_output_paths(target: str, rel: str) -> None:
    assert site_path(target) == rel


def _raw_request(url: str, target: bytes) -> bytes:
    host, port = url.removeprefix("http://").strip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET " + target + f" HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_server_answers_404_outside_the_site_root(live: tuple[Path, DevServer]) -> None:
    root, server = live
    (root / "secret.txt").write_text("top secret")
    for target in (b"/../secret.txt", b"/%2e%2e/secret.txt", b"/%252e%252e/secret.txt",
                   b"/..%2fsecret.txt", b"/..\\secret.txt", b"/%00", b"/" + str(root).encode()
                   + b"/secret.txt", b"//secret.txt", b"/../../../../etc/passwd",
                   b"/content/briefs/2026-11-10-b0.md", b"/briefgen.yaml"):
        reply = _raw_request(server.url, target)
        assert reply.split(b"\r\n", 1)[0].endswith(b"404 Not Found"), target
        assert b"top secret" not in reply and b"root:" not in reply
    ok = _raw_request(server.url, b"/briefs/b0.html")
    assert ok.startswith(b"HTTP/1.0 200") and b"Brief number 0" in ok
    assert b"/__briefgen/client.js" in ok  # injected into served pages only
    assert not (root / "site").exists()


def _sse_connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").strip("/").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(f"GET /__briefgen/events HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    return sock


def _read_until(sock: socket.socket, needle: bytes, buffer: bytearray) -> None:
    while needle not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("stream ended")
        buffer += chunk


def test_sixty_clients_keep_updating_when_one_vanishes(live: tuple[Path, DevServer]) -> None:
    root, server = live
    clients = [_sse_connect(server.url) for _ in range(60)]
    buffers = [bytearray() for _ in clients]
    try:
        for sock, buffer in zip(clients, buffers, strict=True):
            _read_until(sock, b'"type":"hello"', buffer)
        gone = clients.pop(7)
        buffers.pop(7)
        # An abrupt disconnect: RST instead of a clean close.
        gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        gone.close()
        path = root / "content/briefs/2026-11-11-b1.md"
        path.write_text(path.read_text().replace("Paragraph one", "Changed words"))
        for sock, buffer in zip(clients, buffers, strict=True):
            _read_until(sock, b"briefs/b1.html", buffer)
        deadline = time.monotonic() + 5
        while server.hub.count() > 59 and time.monotonic() < deadline:
            server.hub.publish({"type": "ping"})  # writing to the dead socket notices it
            time.sleep(0.05)
        assert server.hub.count() == 59
    finally:
        for sock in clients:
            sock.close()


def test_hub_close_ends_every_stream() -> None:
    hub = Hub()
    boxes = [hub.subscribe() for _ in range(3)]
    hub.publish({"type": "x"})
    hub.close()
    for box in boxes:
        assert box.get(timeout=1) is not None and box.get(timeout=1) is None
    assert hub.subscribe().get(timeout=1) is None


# -- rebuilding ---------------------------------------------------------------------------

def test_memoised_full_build_matches_build_site(make_site: Callable[..., Path]) -> None:
    root = make_site(_files(4))
    config = load_config(root)
    snap = full_build(config)
    expected = {o.path: o.data for o in build_site(config).outputs}
    assert {p: o.data for p, o in snap.files.items()} == expected
    rel = "content/briefs/2026-11-12-b2.md"
    path = root / rel
    path.write_text(path.read_text().replace("Paragraph one", "Rewritten opening"))
    quick = full_build(config, snap, quick=True)  # the engine, related lists as they were
    changed = {p for p, o in quick.files.items() if snap.files[p].data != o.data}
    assert {"briefs/b2.html", "tags/alpha.html"} <= changed
    assert b"Rewritten opening" in quick.files["briefs/b2.html"].data
    # The front page lists earlier days as headlines only; the tag page shows the summary.
    assert b"Rewritten opening" in quick.files["tags/alpha.html"].data
    # The main feed carries whole briefs: the old fast path left it stale until a full build.
    assert b"Rewritten opening" in quick.files["feed.xml"].data
    again = full_build(config, quick)
    assert {p: o.data for p, o in again.files.items()} == \
        {o.path: o.data for o in build_site(config).outputs}


def test_body_edit_applied_by_what_pages_read_equals_the_engine(
    make_site: Callable[..., Path],
) -> None:
    """A body edit re-makes only the brief's page and the feeds holding it, and matches the
    engine's whole run; edits that reach other pages are left to the whole run."""
    from briefgen import delta

    root = make_site(_files(4))
    config = load_config(root)
    snap = full_build(config)
    rel = "content/briefs/2026-11-12-b2.md"
    path = root / rel
    text = path.read_text().replace("title:", "summary: Its own summary\ntitle:")
    path.write_text(text)
    snap = full_build(config, snap)
    for n, changed in enumerate(("\nOne more sentence.\n", "\nAnd [[b1]] again.\n")):
        path.write_text(text + changed)
        if n == 1:  # a new wikilink changes the link graph: a whole run
            assert delta.apply_edits(config, snap.cache, snap.state, [rel]) is None
            continue
        applied = delta.apply_edits(config, snap.cache, snap.state, [rel])
        assert applied is not None
        state, changed_paths = applied
        assert {"briefs/b2.html", "feed.xml", "feed.json"} <= set(changed_paths)
        assert b"One more sentence" in state.files["briefs/b2.html"].data
        # The same as the engine's whole run with the same (earlier) related ranking ...
        whole = full_build(config, snap, quick=True)
        assert {p: o.data for p, o in state.files.items()} == \
            {p: o.data for p, o in whole.files.items()}
        # ... and once ranked again, the same as a cold build.
        again = full_build(config, full_build(config, snap, quick=True, edited=[rel]))
        assert {p: o.data for p, o in again.files.items()} == \
            {o.path: o.data for o in build_site(config).outputs}
    for changed in (text.replace("Brief number 2", "A better title"),
                    text.replace("Its own summary", "Another summary"),
                    text.replace("[alpha, beta]", "[alpha]")):
        path.write_text(changed)
        assert delta.apply_edits(config, snap.cache, snap.state, [rel]) is None
    assert delta.apply_edits(config, snap.cache, snap.state, ["content/briefs/new.md"]) is None


def test_template_edit_re_renders_only_pages_using_it(make_site: Callable[..., Path]) -> None:
    from briefgen.pipeline.theme import builtin_theme_dir

    root = make_site(_files(2))
    config = load_config(root)
    before = full_build(config)
    template = root / "themes/default/templates/tag.html"
    template.parent.mkdir(parents=True)
    text = (builtin_theme_dir() / "templates/tag.html").read_text(encoding="utf-8")
    template.write_text(text.replace("{% block main %}", "{% block main %}<p>TAGGED</p>"))
    after = full_build(config, before)
    redone = {p for p, o in after.files.items()  # pages come from the cache or are rendered
              if p.endswith(".html") and o.data is not before.files[p].data}
    assert redone and all(p.startswith("tags/") and p != "tags/index.html" for p in redone)
    assert b"TAGGED" in after.files["tags/alpha.html"].data
    assert {p: o.data for p, o in after.files.items()} == \
        {o.path: o.data for o in build_site(config).outputs}


def test_quick_rebuild_of_any_edit_equals_a_full_build(make_site: Callable[..., Path]) -> None:
    """No hand-kept list of fields: every edit goes through the engine, whatever it touches."""
    root = make_site(_files(3))
    config = load_config(root)
    snap = full_build(config)
    rel = "content/briefs/2026-11-10-b0.md"
    text = (root / rel).read_text()
    for changed in (text.replace("Brief number 0", "A new title"),
                    text.replace("[alpha, beta]", "[alpha]"),
                    text.replace("More.", "More [[b1]]."),
                    text.replace("title:", "author: Jane Doe\ntitle:")):
        (root / rel).write_text(changed)
        snap = full_build(config, snap, quick=True)
        # Related lists are the previous ranking's; everything else matches a full build.
        expected = {o.path: o.data for o in build_site(config).outputs}
        assert snap.errors == ()
        assert {p for p in expected if snap.files[p].data != expected[p]} <= {
            f"briefs/b{n}.html" for n in range(3)} | {"index.json"}
        snap = full_build(config, snap)
        assert {p: o.data for p, o in snap.files.items()} == expected


def test_broken_brief_keeps_last_good_page_and_reports(live: tuple[Path, DevServer]) -> None:
    root, server = live
    good = server.site.files()["briefs/b0.html"]
    path = root / "content/briefs/2026-11-10-b0.md"
    path.write_text(path.read_text().replace("title: Brief number 0", "title: [unclosed"))
    server.site.handle([str(path)])
    deadline = time.monotonic() + 8
    while not server.site.hello()["errors"]:  # the rebuild runs on the build thread
        assert time.monotonic() < deadline
        time.sleep(0.02)
    hello = server.site.hello()
    assert server.site.files()["briefs/b0.html"] == good
    [error] = hello["errors"]
    assert (error["path"], error["code"]) == ("content/briefs/2026-11-10-b0.md", "BG-FM001")
    assert error["line"] in (2, 3) and error["source_line"]  # YAML notices it on line 3
    path.write_text(path.read_text().replace("title: [unclosed", "title: Fixed title"))
    server.site.handle([str(path)])
    deadline = time.monotonic() + 8
    while b"Fixed title" not in server.site.files()["briefs/b0.html"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert server.site.hello()["errors"] == []


def test_broken_template_is_reported_with_its_line(live: tuple[Path, DevServer]) -> None:
    root, server = live
    template = root / "themes/default/templates/tag.html"
    template.parent.mkdir(parents=True)
    template.write_text('{% extends "base.html" %}\n{% block main %}\n{{ page.name }\n'
                        '{% endblock %}\n')
    server.site.handle([str(template)])
    deadline = time.monotonic() + 8
    while not server.site.hello()["errors"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    error = server.site.hello()["errors"][0]
    assert error["path"] == "themes/default/templates/tag.html" and error["line"] == 3
    assert server.site.files().get("tags/alpha.html")  # the last good page is still served


def test_http_serves_updates_and_pages(live: tuple[Path, DevServer]) -> None:
    _, server = live
    host, port = server.url.removeprefix("http://").strip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/assets/style.css")
    reply = conn.getresponse()
    assert reply.status == 200 and reply.getheader("Content-Type", "").startswith("text/css")
    assert b"__briefgen" not in reply.read()
    conn.request("GET", "/editions/2026-11-10")
    reply = conn.getresponse()
    reply.read()
    assert reply.status == 301 and reply.getheader("Location") == "/editions/2026-11-10/"
    conn.request("GET", "/index.json")
    assert json.loads(conn.getresponse().read())["briefs"]
    conn.close()


def test_cli_serve_help() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--poll" in result.output and "--port" in result.output


def test_follow_tells_browsers_which_brief_was_edited(make_site: Callable[..., Path]) -> None:
    root = make_site(_files(2))
    server = DevServer(root, port=0, follow=True, echo=lambda text: None)
    server.start()
    try:
        box = server.hub.subscribe()
        path = root / "content/briefs/2026-11-11-b1.md"
        path.write_text(path.read_text().replace("Paragraph one", "Edited text"))
        server.site.handle([str(path)])
        message = json.loads(box.get(timeout=5).removeprefix(b"data: "))  # type: ignore[union-attr]
        assert message["type"] == "change" and message["follow"] == "briefs/b1.html"
        assert "Edited text" in message["html"]["briefs/b1.html"]  # the page rides along
        assert "/__briefgen/client.js" in message["html"]["briefs/b1.html"]
    finally:
        server.stop()


def test_ctrl_c_stops_the_cli_cleanly(make_site: Callable[..., Path]) -> None:
    root = make_site(_files(1))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "serve", "-C", str(root), "--port", str(port)],
        stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        stream = _sse_connect(f"http://127.0.0.1:{port}/")  # an open stream must not block exit
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        stream.close()
        assert process.stderr is not None
        assert b"Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not (root / "site").exists()


def test_terminal_shows_each_error_once(tmp_path: Path) -> None:
    from briefgen.errors import diag
    from briefgen.serve.overlay import ErrorBoard

    (tmp_path / "a.md").write_text("---\ntitle: [x\n---\n")
    printed: list[str] = []
    board = ErrorBoard(tmp_path, printed.append)
    error = diag("a.md", 2, 8, "BG-FM001", "invalid YAML")
    payload = board.update([error])
    assert payload is not None and payload[0]["source_line"] == "title: [x"
    assert board.update([error, error]) is None  # same errors: nothing new to say or print
    other = diag("b.md", 1, 1, "BG-FM003", "missing title")
    assert board.update([error, other]) is not None
    assert board.update([]) == []
    assert printed == [error.format(), other.format(), "All errors fixed."]


def test_a_themes_folder_created_later_is_watched(live: tuple[Path, DevServer]) -> None:
    from briefgen.pipeline.theme import builtin_theme_dir

    root, server = live
    template = root / "themes/default/templates/tag.html"
    template.parent.mkdir(parents=True)
    time.sleep(0.3)  # the folder's creation is seen and the folder watched
    text = (builtin_theme_dir() / "templates/tag.html").read_text(encoding="utf-8")
    template.write_text(text.replace("{% block main %}", "{% block main %}<p>LATER</p>"))
    deadline = time.monotonic() + 8
    while b"LATER" not in server.site.files()["tags/alpha.html"]:
        assert time.monotonic() < deadline, "the new template was never noticed"
        time.sleep(0.05)
