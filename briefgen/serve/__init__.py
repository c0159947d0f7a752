"""``briefgen serve``: build in memory, serve, watch, rebuild what changed, update browsers."""

from __future__ import annotations

import re
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from briefgen.serve.live import LiveSite
from briefgen.serve.server import Hub, Server, is_loopback, make_server
from briefgen.serve.watcher import Watcher

__all__ = ["DevServer", "serve"]


# Control characters other than newline and tab: a file name holding an escape sequence
# must not drive the terminal it is printed on.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every terminal control character shown as a visible escape."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _filtered(echo: Callable[[str], None]) -> Callable[[str], None]:
    return lambda text: echo(printable(text))


class DevServer:
    """The whole dev server: live site, HTTP server, watcher. Start, use, stop."""

    def __init__(self, root: Path, *, host: str = "127.0.0.1", port: int = 8000,
                 poll: bool = False, follow: bool = False,
                 echo: Callable[[str], None] = _stderr, quiet: float = 0.02,
                 max_wait: float = 0.25, follow_up_delay: float = 1.0) -> None:
        self.hub = Hub()
        echo = _filtered(echo)
        self._echo = echo
        self.site = LiveSite(root, self.hub, follow=follow, echo=echo,
                             follow_up_delay=follow_up_delay)
        self._host, self._port, self._poll, self._follow = host, port, poll, follow
        self._quiet, self._max_wait = quiet, max_wait
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.watcher: Watcher | None = None

    @property
    def url(self) -> str:
        """The address the server listens on."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def start(self) -> None:
        """Build, bind, start serving and watching; returns once the site is being served."""
        self.site.start()
        self._server = make_server(self._host, self._port, files=self.site.files,
                                   hello=self.site.hello, hub=self.hub, echo=self._echo)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        name="briefgen-http", daemon=True)
        self._thread.start()
        self.watcher = Watcher(self.site.root, self.site.watched(), self._on_batch,
                               skip_dirs=self.site.skip_dirs(), poll=self._poll,
                               quiet=self._quiet, max_wait=self._max_wait)
        self.watcher.start()

    def _on_batch(self, batch: tuple[str, ...]) -> None:
        self.site.handle(batch)
        if self.watcher is not None:  # source folders created since the start
            self.watcher.watch(self.site.watched())

    def stop(self) -> None:
        """Stop watching, close every browser stream, stop serving and building."""
        if self.watcher is not None:
            self.watcher.stop()
        self.hub.close()
        if self._server is not None:
            if self._thread is not None and self._thread.is_alive():
                self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.site.stop()

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False,
          poll: bool = False, follow: bool = False,
          echo: Callable[[str], None] = _stderr) -> None:
    """Run until Ctrl-C."""
    # Rebuilds in the background hold the GIL for long stretches; a shorter switch interval
    # lets the thread pushing an edit to the browsers in sooner (this process is ours alone).
    sys.setswitchinterval(0.001)
    echo = _filtered(echo)
    if not is_loopback(host):
        echo(f"warning: serving on {host}, which is not a loopback address: anyone who can "
             "reach this machine can read the digest, drafts included. Use --host 127.0.0.1 "
             "unless you mean to share it.")
    server = DevServer(root, host=host, port=port, poll=poll, follow=follow, echo=echo)
    stopped = threading.Event()
    try:
        server.start()  # inside the try: Ctrl-C during the first build stops cleanly too
        echo(f"Serving {server.site.root} at {server.url} (Ctrl-C to stop)")
        if open_browser:
            webbrowser.open(server.url)
        while not stopped.wait(1.0):  # a timed wait keeps Ctrl-C deliverable
            pass
    except KeyboardInterrupt:
        echo("Stopping…")
    finally:
        server.stop()
