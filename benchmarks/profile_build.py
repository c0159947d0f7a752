"""Where a build's time goes: wall time of each pipeline step, and optionally cProfile's top.

Usage:
    python benchmarks/synth.py /tmp/n10k 10000      # a synthetic site, once
    python benchmarks/profile_build.py /tmp/n10k     # a cold build (cache and site removed)
    python benchmarks/profile_build.py /tmp/n10k --edit       # a one-brief edit build
    python benchmarks/profile_build.py /tmp/n10k --template   # a build after a template edit
    python benchmarks/profile_build.py /tmp/n10k --cprofile 25

Steps are timed by wrapping the functions ``briefgen.build`` calls, so the figures are those
of the real build (workers included). cProfile sees only this process: forked workers and
the ranking child show up as waiting time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from briefgen import build as build_mod
from briefgen.config import load_config
from briefgen.pipeline import link as link_mod
from briefgen.pipeline import write as write_mod
from briefgen.store.cache import BuildCache

STEPS = ("site_manifest", "find_brief_files", "load_briefs", "build_graph", "start_ranking",
         "render_bodies", "plan_listing_pages", "feed_outputs", "plan_ranked_pages", "plan_emails",
         "other_outputs", "check_paths", "render_into", "write_files")


def timed(times: dict[str, float], name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, adding its wall time to ``times[name]`` on each call."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - start
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="a site folder (see benchmarks/synth.py)")
    parser.add_argument("--edit", action="store_true",
                        help="keep the cache and site, append a sentence to one brief first")
    parser.add_argument("--template", action="store_true",
                        help="keep the cache and site, change the site's tag template first")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also print cProfile's N costliest functions (this process)")
    args = parser.parse_args()
    config = load_config(args.root)
    if args.edit:
        briefs = sorted(config.path(config.briefs_dir).rglob("*.md"))
        target = briefs[len(briefs) // 2]
        target.write_text(target.read_text(encoding="utf-8") + "\nOne more sentence.\n",
                          encoding="utf-8")
    elif args.template:
        theme = args.root / "themes" / "default" / "templates"
        theme.mkdir(parents=True, exist_ok=True)
        old = (theme / "tag.html").read_text() if (theme / "tag.html").exists() else ""
        (theme / "tag.html").write_text("{% extends 'default/tag.html' %}{% block title %}"
                                        f"Tag {len(old) % 7} {{{{ page.name }}}}{{% endblock %}}")
    else:
        shutil.rmtree(config.path(config.cache_dir), ignore_errors=True)
        shutil.rmtree(config.path(config.output_dir), ignore_errors=True)
    times: dict[str, float] = {}
    for name in STEPS:
        setattr(build_mod, name, timed(times, name, getattr(build_mod, name)))
    for cls_name in ("load", "save"):
        setattr(BuildCache, cls_name, timed(times, f"cache {cls_name}",
                                            getattr(BuildCache, cls_name)))
    write_mod.swap_into_place = timed(times, "swap (the old site is removed meanwhile)",
                                      write_mod.swap_into_place)
    rank = link_mod._rank

    def rank_and_time_the_wait(*a: Any, **k: Any) -> Callable[[], Any]:
        finish = rank(*a, **k)
        return timed(times, "wait for related ranking", finish)

    link_mod._rank = rank_and_time_the_wait  # type: ignore[assignment]
    profile = cProfile.Profile() if args.cprofile else None
    start = time.perf_counter()
    if profile:
        profile.enable()
    build_mod.build(config)
    if profile:
        profile.disable()
    total = time.perf_counter() - start
    print("| step | seconds |\n|---|---|")
    for name, seconds in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {seconds:.2f} |")
    print(f"| **total** | **{total:.2f}** |")
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.cprofile)


if __name__ == "__main__":
    main()
