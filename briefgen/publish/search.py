"""Full-text search: index the finished site with Pagefind; a missing binary is only a warning."""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 - runs the pagefind binary with a fixed argument list
from pathlib import Path

from briefgen.errors import Diagnostic, diag

INDEX_DIR = "pagefind"
TIMEOUT_SECONDS = 120
_HINT = ("install the indexer with `pip install 'pagefind[bin]'` (or point PAGEFIND_BINARY_PATH "
         "at a pagefind binary), or set `search: false`; the rest of the site was built")


def find_binary() -> Path | None:
    """The Pagefind executable: $PAGEFIND_BINARY_PATH, the pagefind_bin wheel, or the PATH."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        found = shutil.which("pagefind")
        return Path(found) if found else None
    try:
        return get_executable()
    except FileNotFoundError:  # pagefind_bin is installed but its binary is not there
        return None


def index_site(folder: Path, *, where: str = "site") -> list[Diagnostic]:
    """Write ``folder/pagefind/``; return a BG-SR001 warning instead of failing the build."""
    binary = find_binary()
    if binary is None:
        return [_warning(where, "Pagefind is not installed")]
    command = [str(binary), "--site", str(folder), "--output-subdir", INDEX_DIR, "--silent"]
    try:
        # nosec B603 - an argument list, never a shell
        run = subprocess.run(command, capture_output=True, text=True, check=False,  # nosec B603
                             timeout=TIMEOUT_SECONDS, cwd=folder,
                             preexec_fn=_die_with_parent)  # a killed build leaves no indexer
    except subprocess.TimeoutExpired:
        problem = f"Pagefind did not finish within {TIMEOUT_SECONDS} s"
    except OSError as exc:  # missing file, no exec permission, wrong architecture
        problem = f"Pagefind could not run ({binary}: {exc.strerror or exc})"
    else:
        if run.returncode == 0 and (folder / INDEX_DIR / "pagefind.js").is_file():
            return []
        detail = _last_line(run.stderr or run.stdout)
        problem = f"Pagefind failed with exit code {run.returncode}" + (
            f": {detail}" if detail else "")
    # A half-written index would make the search page fail in confusing ways; drop it.
    shutil.rmtree(folder / INDEX_DIR, ignore_errors=True)
    return [_warning(where, problem)]


def _die_with_parent() -> None:
    """In the indexer's child, before exec: Linux kills it when the build dies (prctl
    PR_SET_PDEATHSIG, as ``parallel`` does for workers; no library exposes it)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG = 1, SIGKILL = 9
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _warning(where: str, problem: str) -> Diagnostic:
    return diag(where, 0, 0, "BG-SR001", f"search index not built: {problem}", _HINT,
                severity="warning")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
