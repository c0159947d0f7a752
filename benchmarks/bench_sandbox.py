"""What Jinja's sandbox costs: every page of a synthetic digest rendered with the sandboxed
environment briefgen uses and with a plain one, in one process, one core, alternating.

Usage: python benchmarks/bench_sandbox.py [--size 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from synth import generate

from briefgen.build import gather
from briefgen.config import load_config
from briefgen.pipeline import theme as theme_mod
from briefgen.pipeline.render import render_pages
from briefgen.pipeline.views import site_view
from briefgen.store.cache import BuildCache


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = generate(Path(folder), args.size)
        config = load_config(root)
        done = gather(config, BuildCache(), workers=1)
        site = site_view(config)
        times: dict[str, list[float]] = {"sandboxed": [], "plain": []}
        sandboxed_class = theme_mod._Environment
        outputs: dict[str, Any] = {}
        for _ in range(args.rounds):
            for name, cls in (("sandboxed", sandboxed_class), ("plain", theme_mod.DictFirst)):
                theme_mod._Environment = cls  # type: ignore[misc]
                env = theme_mod.make_env(done.theme)
                started = time.perf_counter()
                files, problems = render_pages(env, done.pages, site, root, workers=1)
                times[name].append(time.perf_counter() - started)
                assert not problems, problems[:3]
                outputs[name] = files
        theme_mod._Environment = sandboxed_class  # type: ignore[misc]
        assert outputs["sandboxed"] == outputs["plain"], "the sandbox changed the output"
        best = {name: min(values) for name, values in times.items()}
        print(f"{len(done.pages)} pages of a {args.size}-brief digest, best of {args.rounds}:")
        for name, value in best.items():
            runs = ", ".join(f"{t:.2f}" for t in times[name])
            print(f"  {name:9s} {value:6.2f} s  (all: {runs})")
        print(f"  sandbox cost: {best['sandboxed'] - best['plain']:+.2f} s "
              f"({100 * (best['sandboxed'] / best['plain'] - 1):+.1f}%)")


if __name__ == "__main__":
    main()
