"""`briefgen init`: the pinned briefgen, base_url from the git remote, and a Pages workflow
that works on its first push (its own run: steps are run here, offline, from a wheel)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from wheelhouse import Wheelhouse, build_wheelhouse, fresh_venv, run_workflow_steps

from briefgen import __version__
from briefgen.config import load_config
from briefgen.publish import scaffold
from briefgen.publish.scaffold import (
    briefgen_requirement,
    cname_domain,
    github_pages_url,
    init_site,
    pages_workflow,
    requirement_for,
)

SHA = "0123456789abcdef0123456789abcdef01234567"

# Each action the workflow uses, at its current major version, with the inputs its action.yml
# lists at that version (read from the actions' repositories). An input not listed is ignored
# by the runner with only a warning, so a typo or a removed input would go unnoticed.
DOCUMENTED_INPUTS = {
    "actions/checkout@v7": None,  # used without inputs
    "actions/setup-python@v7": {"python-version", "python-version-file", "cache", "architecture",
                                "check-latest", "token", "cache-dependency-path",
                                "update-environment", "allow-prereleases", "freethreaded",
                                "pip-version"},
    "actions/cache@v5": {"path", "key", "restore-keys", "upload-chunk-size", "enableCrossOsArchive",
                         "fail-on-cache-miss", "lookup-only", "save-always"},
    "actions/configure-pages@v5": {"static_site_generator", "generator_config_file", "token",
                                   "enablement"},
    "actions/upload-pages-artifact@v5": {"name", "path", "retention-days",
                                         "include-hidden-files"},
    "actions/deploy-pages@v5": {"token", "timeout", "error_count", "reporting_interval",
                                "artifact_name", "preview"},
}
CONFIGURE_PAGES_OUTPUTS = {"base_url", "origin", "host", "base_path"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


# --- the pinned briefgen ---------------------------------------------------------------------

@pytest.mark.parametrize(("direct_url", "line"), [
    (None, "briefgen==1.2.3"),  # installed from an index
    ("not json", "briefgen==1.2.3"),
    (json.dumps({"url": "file:///home/me/briefgen", "dir_info": {"editable": True}}),
     "briefgen==1.2.3"),
    (json.dumps({"url": "file:///tmp/briefgen-1.2.3-py3-none-any.whl", "archive_info": {}}),
     "briefgen==1.2.3"),
    (json.dumps({"url": "https://github.com/octo/briefgen",
                 "vcs_info": {"vcs": "git", "commit_id": SHA, "requested_revision": "main"}}),
     f"briefgen @ git+https://github.com/octo/briefgen@{SHA}"),
    (json.dumps({"url": "https://octo:ghp_secret@github.com/octo/briefgen.git",
                 "vcs_info": {"vcs": "git", "commit_id": SHA}}),
     f"briefgen @ git+https://github.com/octo/briefgen.git@{SHA}"),
    (json.dumps({"url": "ssh://git@github.com/octo/briefgen.git",
                 "vcs_info": {"vcs": "git", "commit_id": SHA}}),
     f"briefgen @ git+ssh://git@github.com/octo/briefgen.git@{SHA}"),
    (json.dumps({"url": "https://example.org/mono", "subdirectory": "tools/briefgen",
                 "vcs_info": {"vcs": "git", "commit_id": SHA}}),
     f"briefgen @ git+https://example.org/mono@{SHA}#subdirectory=tools/briefgen"),
    # hostile or odd records fall back to the version, never to a line that means more
    (json.dumps({"url": "https://example.org/x; rm -rf /",
                 "vcs_info": {"vcs": "git", "commit_id": SHA}}), "briefgen==1.2.3"),
    (json.dumps({"url": "https://example.org/x", "vcs_info": {"vcs": "git", "commit_id": "main"}}),
     "briefgen==1.2.3"),
    (json.dumps({"url": "https://example.org/x", "vcs_info": {"vcs": "cvs", "commit_id": SHA}}),
     "briefgen==1.2.3"),
    (json.dumps({"url": "javascript:alert(1)", "vcs_info": {"vcs": "git", "commit_id": SHA}}),
     "briefgen==1.2.3"),
    (json.dumps(["a", "list"]), "briefgen==1.2.3"),
    (json.dumps({"url": "https://[::1/x", "vcs_info": {"vcs": "git", "commit_id": SHA}}),
     "briefgen==1.2.3"),
    (json.dumps({"url": "https://example.org:port/x",
                 "vcs_info": {"vcs": "git", "commit_id": SHA}}), "briefgen==1.2.3"),
    (json.dumps({"url": "https://example.org:8443/x",
                 "vcs_info": {"vcs": "git", "commit_id": SHA}}),
     f"briefgen @ git+https://example.org:8443/x@{SHA}"),
])
def test_requirement_for(direct_url: str | None, line: str) -> None:
    assert requirement_for("1.2.3", direct_url) == line


def _fake_distribution(tmp_path: Path, version: str, direct_url: dict[str, object] | None,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A real dist-info folder for briefgen, as pip writes it, found first."""
    info = tmp_path / f"briefgen-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: briefgen\nVersion: {version}\n",
                                   encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")
    found = scaffold.importlib.metadata.PathDistribution(info)
    monkeypatch.setattr(scaffold.importlib.metadata, "distribution",
                        lambda name: found if name == "briefgen" else None)


def test_installed_from_git_pins_the_commit(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distribution(tmp_path, __version__, {"url": "https://github.com/octo/briefgen",
                                               "vcs_info": {"vcs": "git", "commit_id": SHA}},
                       monkeypatch)
    assert briefgen_requirement() == f"briefgen @ git+https://github.com/octo/briefgen@{SHA}"
    init_site(tmp_path / "digest")
    text = (tmp_path / "digest" / "requirements.txt").read_text(encoding="utf-8")
    assert text.splitlines()[-1] == f"briefgen @ git+https://github.com/octo/briefgen@{SHA}"


def test_a_source_tree_unlike_the_installed_copy_pins_its_own_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distribution(tmp_path, "0.0.1", None, monkeypatch)
    assert briefgen_requirement() == f"briefgen=={__version__}"


@pytest.mark.parametrize(("direct_url", "warned"), [
    ({"url": "file:///home/me/briefgen", "dir_info": {"editable": True}}, True),
    ({"url": "file:///tmp/briefgen-1.whl", "archive_info": {}}, True),
    ({"url": "https://github.com/octo/briefgen", "vcs_info": {"vcs": "git", "commit_id": SHA}},
     False),
    ({"url": "file:///home/me/briefgen", "vcs_info": {"vcs": "git", "commit_id": SHA}}, True),
    (None, False),  # from an index
])
def test_a_pin_github_cannot_install_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             direct_url: dict[str, object] | None,
                                             warned: bool) -> None:
    _fake_distribution(tmp_path, __version__, direct_url, monkeypatch)
    init_site(tmp_path / "digest")
    text = (tmp_path / "digest" / "requirements.txt").read_text(encoding="utf-8")
    assert ("installed from files on this machine" in text) is warned


def test_init_pins_the_running_briefgen(tmp_path: Path) -> None:
    init_site(tmp_path)
    lines = (tmp_path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [line for line in lines if line and not line.startswith("#")]
    assert pins == [briefgen_requirement()]
    assert pins[0] == f"briefgen=={__version__}" or pins[0].startswith("briefgen @ ")


# --- base_url from the git remote -------------------------------------------------------------

@pytest.mark.parametrize(("remote", "url"), [
    ("https://github.com/octo/digest", "https://octo.github.io/digest/"),
    ("https://github.com/octo/digest.git", "https://octo.github.io/digest/"),
    ("https://github.com/octo/digest/", "https://octo.github.io/digest/"),
    ("git@github.com:octo/digest.git", "https://octo.github.io/digest/"),
    ("git@github.com:octo/digest", "https://octo.github.io/digest/"),
    ("ssh://git@github.com/octo/digest.git", "https://octo.github.io/digest/"),
    ("https://x-access-token:ghs_abc@github.com/octo/digest.git",
     "https://octo.github.io/digest/"),
    ("https://github.com/Octo-Org/My.Digest_2.git", "https://octo-org.github.io/My.Digest_2/"),
    ("https://GitHub.com/octo/digest", "https://octo.github.io/digest/"),
    # the user or organisation site is served from the domain root
    ("https://github.com/octo/octo.github.io.git", "https://octo.github.io/"),
    ("git@github.com:Octo/octo.github.io.git", "https://octo.github.io/"),
    # not a GitHub repository
    ("https://gitlab.com/octo/digest.git", None),
    ("https://github.com.evil.example/octo/digest", None),
    ("https://evil.example/github.com/octo/digest", None),
    ("https://github.com/octo/digest/tree/main", None),
    ("https://github.com/octo", None),
    ("https://github.com/-octo/digest", None),
    ("/srv/git/digest.git", None),
    ("https://github.com/octo/..", None),
    ("", None),
])
def test_github_pages_url(remote: str, url: str | None) -> None:
    assert github_pages_url(remote) == url


@pytest.mark.parametrize(("text", "domain"), [
    ("news.example.org\n", "news.example.org"),
    ("  https://News.Example.org/ \n", "news.example.org"),
    ("\n\nnews.example.org", "news.example.org"),
    ("news.example.org\nbase_url: https://evil.example/", "news.example.org"),
    ("not a domain\n", None),
    ("localhost", None),
    ("", None),
    ("news.example.org/path", None),
])
def test_cname_domain(text: str, domain: str | None) -> None:
    assert cname_domain(text) == domain


def _repo_with_remote(folder: Path, remote: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    git(folder, "init", "--quiet")
    git(folder, "remote", "add", "origin", remote)
    return folder


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_init_in_a_clone_of_a_github_repository(tmp_path: Path) -> None:
    root = _repo_with_remote(tmp_path / "clone",
                             "https://x-access-token:ghs_secret@github.com/Octo/digest.git")
    init_site(root)
    config = load_config(root)
    assert config.base_url == "https://octo.github.io/digest/"
    text = (root / "briefgen.yaml").read_text(encoding="utf-8")
    assert "ghs_secret" not in text  # the remote's credentials never reach the file
    assert "# Inferred from the git remote on GitHub, Octo/digest" in text


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_init_in_a_subfolder_of_a_clone(tmp_path: Path) -> None:
    clone = _repo_with_remote(tmp_path / "clone", "git@github.com:octo/octo.github.io.git")
    init_site(clone / "digest")
    assert load_config(clone / "digest").base_url == "https://octo.github.io/"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_cname_file_gives_the_custom_domain(tmp_path: Path) -> None:
    root = _repo_with_remote(tmp_path / "clone", "https://github.com/octo/digest.git")
    (root / "CNAME").write_text("news.example.org\n", encoding="utf-8")
    init_site(root / "site-src")  # the CNAME is at the top of the repository
    config = load_config(root / "site-src")
    assert (config.base_url, config.cname) == ("https://news.example.org/", "news.example.org")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_remote_elsewhere_leaves_base_url_unset(tmp_path: Path) -> None:
    root = _repo_with_remote(tmp_path / "clone", "https://gitlab.com/octo/digest.git")
    init_site(root)
    assert load_config(root).base_url == ""


def test_without_a_remote_base_url_is_unset_and_explained(tmp_path: Path) -> None:
    init_site(tmp_path / "new")
    text = (tmp_path / "new" / "briefgen.yaml").read_text(encoding="utf-8")
    config = load_config(tmp_path / "new")
    assert config.base_url == "" and config.title == "Briefing Digest"
    assert "# No GitHub remote or CNAME file was found" in text
    assert re.search(r"^base_url: ''$", text, re.MULTILINE)


def test_a_hostile_title_stays_one_value(tmp_path: Path) -> None:
    title = "Daily: 'brief'\n# base_url: https://evil.example/\nbase_url: x"
    init_site(tmp_path, title=title)
    config = load_config(tmp_path)
    assert config.title == title and config.base_url == ""


# --- the Pages workflow -------------------------------------------------------------------------

def _workflow(text: str) -> dict[str, object]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_workflow_installs_the_pinned_briefgen_and_caches_the_build(tmp_path: Path) -> None:
    init_site(tmp_path)
    text = (tmp_path / ".github/workflows/pages.yml").read_text(encoding="utf-8")
    flow = _workflow(text)
    steps = flow["jobs"]["build"]["steps"]  # type: ignore[index]
    runs = [step["run"] for step in steps if "run" in step]
    assert runs[0] == "python -m pip install -r requirements.txt"  # not "pip install briefgen"
    assert (tmp_path / "requirements.txt").is_file()
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == load_config(tmp_path).cache_dir
    key, restore = cache["with"]["key"], cache["with"]["restore-keys"].strip()
    assert "hashFiles('requirements.txt')" in restore and key.startswith(restore)
    assert "'content/**'" in key and "'briefgen.yaml'" in key and "'themes/**'" in key
    uses = [step.get("uses", "") for step in steps]
    assert uses.index(next(u for u in uses if u.startswith("actions/cache@"))) < uses.index(
        "actions/configure-pages@v5")
    pages = next(step for step in steps if step.get("uses", "").startswith("actions/configure"))
    assert pages["id"] == "pages"
    build = runs[-1]
    assert build == 'briefgen build --base-url "${{ steps.pages.outputs.base_url }}/"'
    upload = next(step for step in steps if "upload-pages-artifact" in step.get("uses", ""))
    assert upload["with"]["path"] == load_config(tmp_path).output_dir
    deploy = flow["jobs"]["deploy"]  # type: ignore[index]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert flow["concurrency"]["group"] == "pages"  # type: ignore[index]


@pytest.mark.parametrize("text", [pages_workflow(),
                                  (REPO / ".github/workflows/pages.yml").read_text("utf-8")])
def test_every_action_is_current_with_documented_inputs_only(text: str) -> None:
    flow = _workflow(text)
    for job in flow["jobs"].values():  # type: ignore[attr-defined]
        for step in job["steps"]:
            if "uses" not in step:
                continue
            assert step["uses"] in DOCUMENTED_INPUTS, f"not a known current action: {step}"
            allowed = DOCUMENTED_INPUTS[step["uses"]] or set()
            assert set(step.get("with", {})) <= allowed, step
    outputs = set(re.findall(r"steps\.pages\.outputs\.(\w+)", text))
    assert outputs and outputs <= CONFIGURE_PAGES_OUTPUTS


def test_the_repository_publishes_its_sample_with_the_same_workflow() -> None:
    ours = (REPO / ".github/workflows/pages.yml").read_text(encoding="utf-8")
    assert ours == pages_workflow(".", "pyproject.toml", ("briefgen/**",))


# --- the workflow's own run: steps, from a wheel, offline ---------------------------------

@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Wheelhouse:
    return build_wheelhouse(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_workflow_run_steps_build_the_digest_from_a_wheel(wheelhouse: Wheelhouse,
                                                          tmp_path: Path) -> None:
    """As on GitHub's runner: a fresh Python, the scaffolded digest checked out (here: far
    from this repository), then the workflow's run: steps in order, pip seeing only a folder
    of wheels; base_url as configure-pages reports it for a project site."""
    digest = tmp_path / "digest"
    init_site(digest)
    pins = (digest / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert pins[-1] == f"briefgen=={__version__}"  # what the wheelhouse holds
    venv = fresh_venv(tmp_path / "runner-python")
    run_workflow_steps(digest, venv, wheelhouse,
                       {"steps.pages.outputs.base_url": "https://octo.github.io/digest"})
    site = digest / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Welcome to your digest" in index
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', index)
    internal = [h for h in hrefs if not h.startswith(("https://", "http://", "mailto:", "#"))]
    assert internal and all(not h.startswith("/") for h in internal), internal
    assert "briefs/welcome-to-your-digest.html" in internal
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    assert "https://octo.github.io/digest/briefs/welcome-to-your-digest.html" in feed
    assert "octo.github.io/digest//" not in feed  # one slash between base and path
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://octo.github.io/digest/briefs/welcome-to-your-digest.html</loc>" in sitemap
    assert (site / "robots.txt").is_file()
    assert (site / "briefs" / "welcome-to-your-digest.html").is_file()
    # the folder the cache step keeps is the one the build wrote its cache to
    assert any((digest / ".briefgen").iterdir())
    # every module of the installed briefgen imports (trafilatura's lxml.html.clean among
    # them), and the theme came from the wheel, not from this repository
    probe = ("import importlib, pkgutil, briefgen, briefgen.pipeline.theme as t\n"
             "for m in pkgutil.walk_packages(briefgen.__path__, 'briefgen.'):\n"
             "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
             "import trafilatura\n"
             "print(t.builtin_theme_dir())\n")
    installed = subprocess.run([str(venv / "bin" / "python"), "-c", probe],
                               capture_output=True, text=True, check=True, cwd=tmp_path,
                               env={"PATH": "/usr/bin:/bin"}).stdout.strip()
    assert installed.startswith(str(venv)) and not installed.startswith(str(REPO))


# --- hostile input never crashes init or widens what it writes ---------------------------

_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
_RECORD = st.fixed_dictionaries({"url": st.text(max_size=60) | _JSON,
                                 "vcs_info": st.fixed_dictionaries({
                                     "vcs": st.sampled_from(["git", "hg", "x"]) | _JSON,
                                     "commit_id": st.just(SHA) | st.text(max_size=64)})},
                                optional={"subdirectory": st.text(max_size=20) | _JSON})


@settings(max_examples=300, deadline=None)
@given(record=_RECORD | _JSON)
def test_requirement_is_one_safe_line_for_any_record(record: object) -> None:
    line = requirement_for("1.2.3", json.dumps(record))
    assert line == "briefgen==1.2.3" or re.fullmatch(
        r"briefgen @ (git|hg)\+[A-Za-z0-9._~:/%+@-]+@[0-9a-f]{40}(#subdirectory=[\w.~:/%+-]+)?",
        line), line


@settings(max_examples=300, deadline=None)
@given(remote=st.text(max_size=80) | st.builds("https://github.com/{}/{}".format,
                                                st.text(max_size=20), st.text(max_size=20)))
def test_pages_url_is_a_github_io_address_or_nothing(remote: str) -> None:
    url = github_pages_url(remote)
    assert url is None or re.fullmatch(r"https://[a-z0-9-]+\.github\.io/([A-Za-z0-9._-]+/)?", url)
