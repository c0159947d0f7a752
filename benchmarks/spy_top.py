"""Top lines of a whole-build profile, workers and the ranking child included.

cProfile (see profile_build.py) sees one process only; py-spy samples every process of a
build. Record raw stacks, then summarise them:

    pip install py-spy
    cd /tmp/n10k && rm -rf .briefgen site
    py-spy record --subprocesses --rate 50 --format raw -o /tmp/spy.txt -- python -m briefgen build
    python benchmarks/spy_top.py /tmp/spy.txt [--top 25]

It prints the functions where samples were taken (self time) and, for briefgen's own
functions, the share of samples under them (inclusive time), both as % of all samples.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"(?P<func>.*) \((?P<path>.*?):\d+\)$")


def short(frame: str) -> str:
    """``func (file)`` with site-packages and checkout prefixes dropped."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = re.sub(r".*site-packages/", "", match["path"])
    path = re.sub(r".*/(briefgen|themes)/", r"\1/", path)
    return f"{match['func']} ({path})"


def summarise(lines: list[str]) -> tuple[int, Counter[str], Counter[str]]:
    """Total samples, samples per leaf function, samples per function anywhere on the stack."""
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [short(f) for f in stack.split(";")]
        leaf[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n
    return total, leaf, inclusive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="py-spy's --format raw output")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    total, leaf, inclusive = summarise(args.raw.read_text(encoding="utf-8").splitlines())
    print(f"{total} samples\n\n| self % | function |\n|---|---|")
    for name, n in leaf.most_common(args.top):
        print(f"| {100 * n / total:.1f} | {name} |")
    print("\n| inclusive % | briefgen function |\n|---|---|")
    ours = [(name, n) for name, n in inclusive.most_common() if "briefgen/" in name]
    for name, n in ours[:args.top]:
        print(f"| {100 * n / total:.1f} | {name} |")


if __name__ == "__main__":
    main()
