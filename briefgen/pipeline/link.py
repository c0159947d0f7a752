"""Link stage: resolve wikilinks and ``updates:``, invert backlinks, index entities and tags,
rank related briefs. Pure: briefs in, a LinkGraph and diagnostics out."""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from briefgen.errors import Diagnostic, diag
from briefgen.hashing import Memo, data_digest
from briefgen.model import Brief, EntityDef, EntityInfo, LinkGraph, Quote, Related, TagInfo
from briefgen.pipeline.parallel import (
    MIN_ITEMS,
    Helper,
    fork_call,
    release_large_frees,
    start_helper,
)
from briefgen.slugs import name_key, unique_slugs
from briefgen.store.atomic import adopt

_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")


def newest_first(briefs: Sequence[Brief]) -> list[Brief]:
    """Briefs by date and time, newest first; ties broken by slug for a stable order."""
    by_slug = sorted(briefs, key=lambda b: b.slug)
    return sorted(by_slug, key=lambda b: (b.date, b.time.isoformat() if b.time else ""),
                  reverse=True)


def build_graph(
    briefs: Sequence[Brief],
    entity_defs: Sequence[EntityDef] = (),
    *,
    related_count: int = 5,
    half_life_days: float = 30.0,
    memo: Memo | None = None,
    rank: bool = True,
) -> tuple[LinkGraph, list[Diagnostic]]:
    """Resolve every connection between the published briefs.

    With ``rank=False`` the related briefs are left empty, for ``start_ranking`` to fill in.
    """
    ordered = newest_first(briefs)
    by_slug = {b.slug: b for b in ordered}
    order = tuple(b.slug for b in ordered)
    problems: list[Diagnostic] = []
    titles: dict[str, list[str]] = defaultdict(list)
    for brief in ordered:
        titles[brief.title.casefold()].append(brief.slug)

    wikilinks: dict[str, dict[str, str]] = {}
    back: dict[str, set[str]] = defaultdict(set)
    for brief in ordered:
        resolved: dict[str, str] = {}
        for target, line, col in brief.wikilinks:  # read from the body's token stream
            slug = _resolve(target, by_slug, titles)
            if isinstance(slug, str):
                resolved[target] = slug
                if slug != brief.slug:
                    back[slug].add(brief.slug)
            else:
                problems.append(_missing(brief.path, line, col, target, slug, by_slug, "wikilink"))
        wikilinks[brief.slug] = resolved

    follow: dict[str, list[str]] = defaultdict(list)
    for brief in ordered:
        if not brief.updates:
            continue
        slug = _resolve(brief.updates, by_slug, titles)
        if isinstance(slug, str) and slug != brief.slug:
            follow[slug].append(brief.slug)
        else:
            problems.append(_missing(brief.path, brief.line_of("updates"), 1, brief.updates,
                                     slug if isinstance(slug, tuple) else (), by_slug, "updates"))

    entities, brief_entities, name_index = _index_entities(ordered, entity_defs)
    tags, brief_tags = _index_tags(ordered)
    related = _rank(ordered, entities, brief_entities, related_count, half_life_days,
                    memo)() if rank else {}
    position = {slug: i for i, slug in enumerate(order)}
    graph = LinkGraph(
        order=order,
        briefs=by_slug,
        wikilinks=wikilinks,
        backlinks={s: tuple(sorted(back.get(s, ()), key=position.__getitem__)) for s in order},
        follow_ups={s: tuple(sorted(follow.get(s, ()), key=position.__getitem__, reverse=True))
                    for s in order},
        related=related,
        entities=entities,
        brief_entities=brief_entities,
        name_index=name_index,
        tags=tags,
        brief_tags=brief_tags,
    )
    return graph, problems


def _resolve(
    target: str, by_slug: Mapping[str, Brief], titles: Mapping[str, list[str]]
) -> str | tuple[str, ...]:
    """A slug, or the tuple of candidates (empty: none) when the target is missing or ambiguous."""
    if target in by_slug:
        return target
    candidates = titles.get(target.casefold(), [])
    if len(candidates) == 1:
        return candidates[0]
    return tuple(sorted(candidates))


def _missing(
    path: str, line: int, col: int, target: str, candidates: tuple[str, ...],
    by_slug: Mapping[str, Brief], what: str,
) -> Diagnostic:
    if candidates:
        return diag(path, line, col, "BG-LK002",
                    f"{what} target {target!r} matches {len(candidates)} briefs",
                    "use the slug of the one you mean: " + ", ".join(candidates))
    close = difflib.get_close_matches(target, sorted(by_slug), n=3, cutoff=0.5)
    hint = ("did you mean " + " or ".join(repr(c) for c in close) + "?") if close else \
        "link to an existing brief by its slug or exact title"
    code = "BG-LK001" if what == "wikilink" else "BG-LK003"
    return diag(path, line, col, code, f"{what} target {target!r} does not exist", hint)


def _norm(name: str) -> str:
    return " ".join(_POSSESSIVE.sub("", name.strip()).split()).casefold()


def _index_entities(
    ordered: Sequence[Brief], defs: Sequence[EntityDef]
) -> tuple[dict[str, EntityInfo], dict[str, tuple[str, ...]], dict[str, str]]:
    """Merge names into entities (aliases, possessives, case, surnames) and index mentions."""
    canonical: dict[str, EntityDef] = {}
    for entry in defs:
        for name in (entry.name, *entry.aliases):
            canonical[_norm(name)] = entry
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    display: dict[str, Counter[str]] = defaultdict(Counter)
    per_brief: dict[str, list[str]] = {}
    norms: dict[str, str] = {}  # the same names recur in thousands of briefs
    for brief in ordered:
        seen: list[str] = []
        full_names: dict[str, str] = {}  # surname -> full name, within this brief
        for kind, name in brief.entities.all():
            norm = norms.get(name)
            if norm is None:
                norm = norms[name] = _norm(name)
            if kind == "people" and norm not in canonical:
                words = norm.split()
                if len(words) == 1 and words[0] in full_names:
                    norm = full_names[words[0]]
                elif len(words) > 1:
                    full_names.setdefault(words[-1], norm)
            item = canonical.get(norm)
            base = _norm(item.name) if item else norm
            if not base:
                continue
            kinds[base][item.kind if item and item.kind else kind] += 1
            display[base][item.name if item else _POSSESSIVE.sub("", name.strip())] += 1
            if base not in seen:
                seen.append(base)
        per_brief[brief.slug] = seen
    chosen: dict[str, dict[str, str]] = defaultdict(dict)  # kind -> base -> display name
    for base in kinds:
        kind = sorted(kinds[base].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        chosen[kind][base] = sorted(display[base].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    key_of = {}
    for kind, names in chosen.items():  # distinct names never share a page ("C++", "C#")
        for base, slug in unique_slugs(names, fallback="entity").items():
            key_of[base] = (f"{kind}/{slug}", kind, names[base])
    mentions: dict[str, list[str]] = defaultdict(list)
    brief_entities: dict[str, tuple[str, ...]] = {}
    for brief in ordered:
        keys = tuple(dict.fromkeys(key_of[b][0] for b in per_brief[brief.slug]))
        brief_entities[brief.slug] = keys
        for key in keys:
            mentions[key].append(brief.slug)
    co: dict[str, Counter[str]] = defaultdict(Counter)
    for keys in brief_entities.values():
        for key in keys:
            for other in keys:
                if other != key:
                    co[key][other] += 1
    name_index: dict[str, str] = {}
    infos: dict[str, EntityInfo] = {}
    by_slug = {b.slug: b for b in ordered}
    by_key = {v[0]: (base, v[1], v[2]) for base, v in key_of.items()}
    for key in sorted(by_key):
        base, kind, name = by_key[key]
        item = canonical.get(base)
        aliases = tuple(sorted({a for a in (item.aliases if item else ())} |
                               {n for n in display[base] if n != name}))
        for alias in (name, *aliases):
            name_index.setdefault(_norm(alias), key)
        quotes = _quotes_by(name, aliases, mentions[key], by_slug) if kind == "people" else ()
        infos[key] = EntityInfo(
            key=key, kind=kind, name=name, slug=key.split("/", 1)[1], aliases=aliases,
            description=item.description if item else "", briefs=tuple(mentions[key]),
            quotes=quotes,
            co_mentions=tuple(sorted(co[key].items(), key=lambda kv: (-kv[1], kv[0]))[:10]),
        )
    return infos, brief_entities, name_index


def _quotes_by(
    name: str, aliases: Sequence[str], slugs: Sequence[str], by_slug: Mapping[str, Brief]
) -> tuple[tuple[str, Quote], ...]:
    """Quotes whose speaker is this person (full name, an alias or the surname alone)."""
    # A name like "'s's" normalises to nothing (possessive stripped twice): no surname then.
    names = {_norm(x) for x in (name, *aliases)} | set(_norm(name).split()[-1:])
    return tuple(
        (slug, quote) for slug in slugs for quote in by_slug[slug].quotes
        if _norm(quote.speaker) in names
    )


def _index_tags(
    ordered: Sequence[Brief],
) -> tuple[dict[str, TagInfo], dict[str, tuple[str, ...]]]:
    """Tags by slug, and each brief's tag slugs in written order. Spellings that differ only
    in case or separators are one tag; other names never share a slug (see unique_slugs)."""
    names: dict[str, Counter[str]] = defaultdict(Counter)
    members: dict[str, list[str]] = defaultdict(list)
    for brief in ordered:
        for tag in brief.tags:
            key = name_key(tag)
            names[key][tag] += 1
            if brief.slug not in members[key]:
                members[key].append(brief.slug)
    shown = {key: sorted(names[key].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
             for key in names}
    slug_of = unique_slugs(shown, fallback="tag")
    tags = {slug_of[key]: TagInfo(slug=slug_of[key], name=shown[key], briefs=tuple(members[key]))
            for key in sorted(names, key=slug_of.__getitem__)}
    brief_tags = {b.slug: tuple(dict.fromkeys(slug_of[name_key(t)] for t in b.tags))
                  for b in ordered if b.tags}
    return tags, brief_tags


Ranked = dict[str, tuple[Related, ...]]  # each brief's related briefs, best first
_Fields = tuple[str, str, str, str, tuple[str, ...], tuple[str, ...],
                tuple[tuple[str, str], ...], int, str]  # what the ranker reads of one brief
# briefs, links per brief, half-life in days, folder of the ranking state ("": none)
RankJob = tuple[list[_Fields], int, float, str]
STATE_FILE = "related-state.bin"  # the ranking state of the last successful build
_PENDING = "related-state.pending"  # this build's, until `commit_ranking` adopts it


def ranking_helper(brief_files: int, related_count: int) -> Helper[RankJob, Ranked] | None:
    """A child forked now, before the build loads anything, to rank related briefs later
    (see ``parallel.start_helper``); None when there is too little to rank or no fork."""
    if related_count <= 0 or brief_files < MIN_ITEMS:
        return None
    return start_helper(_rank_fields, warm=_prepare_ranker)


def start_ranking(
    graph: LinkGraph, *, related_count: int = 5, half_life_days: float = 30.0,
    memo: Memo | None = None, helper: Helper[RankJob, Ranked] | None = None,
    state_dir: Path | None = None,
) -> Callable[[], Ranked]:
    """Start ranking related briefs in a child process (the slowest single step of a large
    build, and one that other steps do not wait for); return a function giving the result.

    The ``helper`` (see ``ranking_helper``) does the work when given; otherwise a child is
    forked now. The caller closes the helper afterwards, used or not.

    With ``state_dir`` (the cache folder), the ranking starts from the state the last
    successful build kept there and redoes only what the changed briefs touch; the new
    state is written beside it as pending, and ``commit_ranking`` adopts it once the
    build has succeeded (a failed build leaves the kept state as it was).
    """
    ordered = [graph.briefs[s] for s in graph.order]
    return _rank(ordered, graph.entities, graph.brief_entities, related_count,
                 half_life_days, memo, background=True, helper=helper, state_dir=state_dir)


def commit_ranking(state_dir: Path | None) -> None:
    """Adopt the ranking state of the build that has just succeeded (no-op without one)."""
    if state_dir is None:
        return
    adopt(state_dir / _PENDING, state_dir / STATE_FILE)


def _rank(
    ordered: Sequence[Brief], entities: Mapping[str, EntityInfo],
    brief_entities: Mapping[str, tuple[str, ...]], count: int, half_life: float,
    memo: Memo | None = None, *, background: bool = False,
    helper: Helper[RankJob, Ranked] | None = None, state_dir: Path | None = None,
) -> Callable[[], Ranked]:
    # What the ranker reads of each brief, as plain tuples: cheap to hash for the memo key.
    # The last field fingerprints the brief for the incremental ranking: the file's hash
    # stands for title, summary and body; the rest is listed beside it.
    fields: list[_Fields] = [
        (b.slug, b.title, b.summary, b.body, tuple(name_key(t) for t in b.tags),
         brief_entities[b.slug], tuple((k, entities[k].name) for k in brief_entities[b.slug]),
         b.date.toordinal(), b.content_hash)
        for b in ordered]
    key = ""
    if memo is not None:  # ranking looks at every brief: cache it by all of its inputs
        # The file's hash stands for the body it holds (hashing every body cost a warm build
        # a fifth of a second at 10,000 briefs); a brief made without one is hashed whole.
        key = data_digest([count, half_life,
                           *((f[:3] + f[4:]) if f[-1] else f for f in fields)])
        cached: Ranked | None = memo.get(key)
        if cached is not None:
            return lambda: cached
    job: RankJob = (fields, count, half_life, str(state_dir) if state_dir is not None else "")
    pending: Callable[[], Ranked]
    if helper is not None:
        pending = helper.submit(job)
    elif background and len(fields) >= MIN_ITEMS:
        pending = fork_call(lambda: _rank_fields(job))
    else:
        pending = lambda: _rank_fields(job)  # noqa: E731

    def result() -> Ranked:
        found = pending()
        if memo is not None:
            memo.put(key, found)
        return found

    return result


def _prepare_ranker() -> None:
    """Runs in the ranking child as soon as it is forked."""
    release_large_frees()  # the ranking allocates and frees big arrays in turn
    import briefgen.pipeline.related  # noqa: F401 - numpy and scipy, loaded ahead of the work


def _rank_fields(job: RankJob) -> Ranked:
    # numpy and scipy load only when ranking runs (in the child, when there is one).
    from briefgen.pipeline.related import RelDoc, load_state, rank_state, save_state

    fields, count, half_life, folder = job
    docs = [RelDoc(id=slug, title=title, summary=summary, body=body, tags=tags,
                   entities=keys, entity_labels=dict(labels), date=dt.date.fromordinal(day),
                   fingerprint=data_digest([slug, title, summary, body, tags, keys, labels, day])
                   if not content else data_digest([slug, content, summary, tags, keys, labels,
                                                    day]))
            for slug, title, summary, body, tags, keys, labels, day, content in fields]
    if not folder:
        return rank_state(docs, k=count, half_life_days=half_life).ranked
    where = Path(folder)
    done = rank_state(docs, k=count, half_life_days=half_life,
                      previous=load_state(where / STATE_FILE))
    if done.state is not None:
        with contextlib.suppress(OSError):  # no state kept: the next build ranks cold
            save_state(done.state, where / _PENDING)
    return done.ranked
