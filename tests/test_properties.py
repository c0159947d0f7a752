"""Properties (hypothesis): parsing never crashes, slugs are safe and stable, relative URLs
resolve, the Markdown plugins never raise and always produce balanced HTML."""

from __future__ import annotations

import datetime as dt
import posixpath
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.model import Brief, Entities, Quote
from briefgen.pipeline.link import build_graph
from briefgen.pipeline.load import SourceFile, parse_brief
from briefgen.slugs import is_safe_slug, relative_url, slugify
from briefgen.source.markdown import body_facts, make_markdown, render_body
from briefgen.source.mdplugins.entitylinks import EntityLink

FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MD = make_markdown()
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}

# Front matter made of pieces that matter to YAML and to our checks, so examples reach the
# validator instead of all failing in the YAML parser.
_YAML_BITS = st.sampled_from([
    "title: ", "date: ", "2026-11-20", "2026-02-30", "slug: ", "../x", "tags: ", "[a, b]",
    "entities: ", "{people: [A B]}", "quotes: ", "[{speaker: A, text: b}]", "source: ",
    "{url: 'javascript:x'}", "&a [1]", "*a", "!!python/object:os.system", "- ", "? ", ": ",
    "\n", "  ", "'", '"', "\\x01", "{", "}", "[", "]", "#", "|", ">", "~", "null", "true",
    "---", "...", "\t", "\ufeff", "é", "🙂", "\r\n", "draft: ", "updates: ", "key_points: ",
])
_FRONT = st.lists(_YAML_BITS, max_size=40).map("".join)


def _parse(data: bytes) -> None:
    brief, problems = parse_brief(SourceFile(path="content/briefs/x.md", data=data))
    assert brief is not None or any(p.severity == "error" for p in problems)
    for problem in problems:
        assert problem.pos.line >= 0 and problem.code.startswith("BG-")
        assert "\x1b" not in problem.format()


@FAST
@given(st.text())
def test_parse_brief_never_raises_on_text(text: str) -> None:
    _parse(text.encode("utf-8", "surrogatepass"))


@FAST
@given(st.binary())
def test_parse_brief_never_raises_on_bytes(data: bytes) -> None:
    _parse(data)


@FAST
@given(_FRONT, st.text(max_size=200))
def test_parse_brief_never_raises_on_front_matter(front: str, body: str) -> None:
    _parse(f"---\n{front}\n---\n{body}".encode("utf-8", "surrogatepass"))


@FAST
@given(st.text())
def test_slugs_are_safe_and_stable(text: str) -> None:
    slug = slugify(text)
    assert is_safe_slug(slug)
    assert slugify(slug) == slug


_SEGMENT = st.from_regex(r"[a-z0-9][a-z0-9-]{0,8}", fullmatch=True)
_FOLDERS = st.lists(st.sampled_from(["briefs", "tags", "entities", "people", "page", "a", "b"])
                    | _SEGMENT, max_size=4)
_PAGE = st.builds(lambda folders, name: "/".join([*folders, name + ".html"]), _FOLDERS, _SEGMENT)
_TARGET = _PAGE | _FOLDERS.map(lambda f: "/".join(f) + "/" if f else "")


@FAST
@given(_TARGET, _PAGE, st.none() | _SEGMENT)
def test_relative_url_resolves_to_its_target(target: str, from_page: str,
                                             fragment: str | None) -> None:
    link = relative_url(target + (f"#{fragment}" if fragment else ""), from_page)
    path, _, got_fragment = link.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(from_page), path))
    expected = target + "index.html" if target.endswith("/") or not target else target
    assert resolved == expected
    assert got_fragment == (fragment or "")
    assert not link.startswith("/")


class _Balance(HTMLParser):
    """Checks that every non-void element is closed, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if any(name.startswith("on") for name, _ in attrs) or tag == "script":
            self.errors.append(f"unsafe <{tag} {attrs}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.errors.append(f"self-closed <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


_MD_BITS = st.sampled_from([
    "[[", "]]", "|", "[", "]", "(", ")", "](", "*", "**", "_", "`", "```", "~~~", "~~", "\n",
    "\n\n", "# ", "> ", "- ", "1. ", "    ", "<b>", "</b>", "<script>", "</p>", "<a href=x>",
    "&amp;", "&", "<", "\\", "!", "Ada", "Ada Lovelace", "Lovelace's", "NATO", "alpha", "beta",
    "x", " ", "|-|", "javascript:alert(1)", "🙂", "é", "\u202e",
])
_NAMES = st.sampled_from(["Ada", "Ada Lovelace", "NATO", "alpha", "x", "é", "<b>"])
_TITLE = st.text(max_size=20) | st.sampled_from(["</a><script>alert(1)</script>", '"><b>'])


@FAST
@given(st.lists(_MD_BITS, max_size=60).map("".join),
       st.dictionaries(st.sampled_from(["alpha", "beta", "x", "Ada", " x "]),
                       st.tuples(st.sampled_from(["a.html", "../b/c.html", 'q"><x']), _TITLE),
                       max_size=4),
       st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3"]), _NAMES), max_size=5))
def test_markdown_plugins_never_raise_and_balance(
    body: str, table: dict[str, tuple[str, str]], names: list[tuple[str, str]],
) -> None:
    links = tuple(EntityLink(key=key, name=name, url=f"../entities/{key}.html")
                  for key, name in names)
    html = render_body(MD, body, wikilinks=table, entity_links=links,
                       resolve_md=lambda href: "other.html" if href == "x.md" else None)
    checker = _Balance()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == [], (html, checker.errors, checker.stack)


@FAST
@given(st.lists(_MD_BITS, max_size=60).map("".join))
def test_wikilinks_found_are_the_wikilinks_rendered(body: str) -> None:
    """The link stage's wikilinks and the page's wikilinks come from the same token stream."""
    facts = body_facts(body, 1, MD)
    html = render_body(MD, body)
    assert html.count('class="wikilink-missing"') == len(facts.wikilinks), (body, html)
    lines = body.split("\n")
    for target, line, col in facts.wikilinks:
        assert 1 <= line <= len(lines) and col >= 1
        assert target == "" or target in lines[line - 1] or "\\" in body


_PERSON = st.text(alphabet=st.sampled_from("aB 's’.-é"), min_size=1, max_size=8)


@FAST
@given(st.lists(st.tuples(st.lists(_PERSON, max_size=3), st.lists(_PERSON, max_size=2)),
                min_size=1, max_size=4))
def test_link_stage_never_raises_on_odd_names(items: list[tuple[list[str], list[str]]]) -> None:
    briefs = [Brief(path=f"b{n}.md", slug=f"b{n}", title=f"B{n}", date=dt.date(2026, 1, 1 + n),
                    entities=Entities(people=tuple(people)),
                    quotes=tuple(Quote(speaker=s, text="x") for s in speakers))
              for n, (people, speakers) in enumerate(items)]
    graph, _ = build_graph(briefs)
    assert set(graph.order) == {b.slug for b in briefs}
    assert all(is_safe_slug(info.slug) for info in graph.entities.values())
