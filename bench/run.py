"""partbot benchmarks: `python bench/run.py [--quick] [section ...]`, run from the repo root.

Sections (all by default, in this order):
  replay    a simulated day of lookups through LookupService + NexarClient + SQLite: Nexar requests and
            matched parts billed against the minimum possible, hit rate, reply latency; and the same
            questions through the naive "one unlimited supSearchMpn per MPN" strategy
  ack       ack latency of signed `/part` commands at 1, 10 and 50 concurrent clients, and at 50-400 commands/s
            arriving independently (`python -m bot serve`)
  overhead  ack → answer at the response_url, minus FakeNexar's injected latency, for misses and hits
  burst     50 concurrent distinct lookups (all misses): time until every answer arrived, in round trips
  memory    VmHWM/VmRSS of the serving processes over 10,000 lookups (~2,000 distinct MPNs), lookups/s
  goals     issue 11's figures: idle PSS, a 50-lookup burst at 0.5 s, open-loop acks at 100/s, PSS after 10,000 lookups
  door      issue 10's figures: 100 MiB unsigned bodies, acks beside 300 slow bodies, acks with a sick store
  bom       issue 11's BOM figure: a 200-distinct-line BOM shared in a mention at 0.5 s Nexar latency, mention → summary
            in the thread and CSV uploaded, in round trips; Nexar requests and the most in flight

`--root PATH[=LABEL]` (repeatable) serves `python -m bot serve` from another checkout: the server
sections run once per root, and `goals`, `door` and `bom` print one table with a column per root, e.g.
  git worktree add /work/wt/before 520cdfa
  python bench/run.py --root /work/wt/before=before --root .=after goals door bom

Everything talks to 127.0.0.1 only (FakeSlack runs in this process; FakeNexar and the load client for the
server sections in processes of their own); every loop is bounded
in count and in time. Nothing is asserted: this measures and prints.
"""

# ruff: noqa: E402  (the repo root goes on sys.path before the project's imports)

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from bench import common, serving
from bench.ack import section_ack
from bench.bom import measure_bom
from bench.burst import section_burst
from bench.common import speed_up_fakes, table
from bench.door import measure_door
from bench.goals import measure_goals
from bench.memory import section_memory
from bench.overhead import section_overhead
from bench.replay import section_replay
from bench.serving import Target

SECTIONS = ("replay", "ack", "overhead", "burst", "memory", "goals", "door", "bom")
SIDE_BY_SIDE: dict[str, Callable[[bool, int], dict[str, str]]] = {
    "goals": measure_goals,
    "door": measure_door,
    "bom": measure_bom,
}

# --- main ----------------------------------------------------------------------------------------

RUNNERS: dict[str, Callable[[bool, int], None]] = {
    "replay": section_replay,
    "ack": section_ack,
    "overhead": section_overhead,
    "burst": section_burst,
    "memory": section_memory,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run of under a minute")
    parser.add_argument("--seed", type=int, default=20261126, help="workload seed (default: %(default)s)")
    parser.add_argument("--root", action="append", default=[], metavar="PATH[=LABEL]", help="tree to serve (repeatable)")
    parser.add_argument("sections", nargs="*", metavar="section", help=f"any of {', '.join(SECTIONS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    logging.basicConfig(level=logging.ERROR)
    chosen = args.sections or list(SECTIONS)
    targets = [Target(Path(p).resolve(), label or p) for p, _, label in (r.partition("=") for r in args.root)]
    targets = targets or [serving.TARGET]
    speed_up_fakes()
    started = time.monotonic()
    print(
        f"partbot bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
        + (", --quick" if args.quick else "")
    )
    for name in chosen:
        t0 = time.monotonic()
        if name == "replay":
            RUNNERS[name](args.quick, args.seed)
        elif name in SIDE_BY_SIDE:
            figures = []
            for target in targets:
                serving.TARGET = target
                figures.append(SIDE_BY_SIDE[name](args.quick, args.seed))
            rows = [[metric, *(f.get(metric, "—") for f in figures)] for metric in dict.fromkeys(m for f in figures for m in f)]
            table(f"{name} — side by side", ["", *(t.label for t in targets)], rows)
        else:
            for target in targets:
                serving.TARGET = target
                common.LABEL = target.label if len(targets) > 1 else ""
                RUNNERS[name](args.quick, args.seed)
        print(f"  ({name}: {time.monotonic() - t0:.0f} s)")
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
