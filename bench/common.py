"""Shared by the sections: output, CPU readings, the synthetic catalog, command texts."""

from __future__ import annotations

import copy
import functools
import math
import os
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tests.fakes.nexar as fake_nexar_module
from bot.domain.commands import Lookup
from bot.domain.parsing import parse_command
from tests.fakes.nexar import load_sample_parts

TEAM = "T0001"
WINDOW = 300.0  # simulated seconds whose events run concurrently in the replay
NAIVE_QUERY = """
query NaiveSearch($q: String!) {
  supSearchMpn(q: $q) {
    hits
    results { part { mpn } }
  }
}
"""
"""Nexar's tutorial-style search: no `limit`, so the API's default of 10 parts per search is billed."""

# Limits raised for the server sections, so they measure serving rather than quota refusals.
UNLIMITED = {"PARTBOT_USER_DAILY_PARTS": "1000000", "PARTBOT_TEAM_MONTHLY_PARTS": "100000000"}


# --- output --------------------------------------------------------------------------------------


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


LABEL = ""
"""Which tree the server sections measure, when several are compared."""


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]], notes: Sequence[str] = ()) -> None:
    """Print a plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    if LABEL:
        title = f"[{LABEL}] {title}"
    print()
    print(title)
    print("=" * len(title))
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
    for note in notes:
        print(f"  {note}")
    sys.stdout.flush()


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def speed_up_fakes() -> None:
    """Memoize FakeNexar's MPN normalization (a pure function it runs on every catalog part for every query).

    FakeNexar shares this machine's two cores with the bot; without this its linear catalog scan (~4 ms per
    query over 1,500 parts) would be a large part of what the server sections measure."""
    fake_nexar_module.normalize_mpn = functools.lru_cache(maxsize=None)(fake_nexar_module.normalize_mpn)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_total(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def children(parent: int) -> list[int]:
    """PIDs whose parent is `parent`."""
    pids: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            pids.append(int(entry))
    return sorted(pids)


# --- synthetic catalog ---------------------------------------------------------------------------


def synth_parts(clones_per_base: int) -> list[dict[str, Any]]:
    """The sample catalog's parts plus `clones_per_base` copies of each with new MPNs (`LM358DR-B07`).

    Clones keep their base's sellers and price breaks (prices nudged a little), so each clone answers
    like a real part, and a base MPN prefix-matches its clones, as a short MPN does on Octopart."""
    out: list[dict[str, Any]] = []
    for base in load_sample_parts():
        out.append(base)
        for i in range(1, clones_per_base + 1):
            part = copy.deepcopy(base)
            mpn = f"{base['mpn']}-B{i:02d}"
            part["mpn"] = mpn
            if part.get("octopartUrl"):
                part["octopartUrl"] = f"{part['octopartUrl']}-b{i:02d}"
            for seller in part.get("sellers", []):
                for offer in seller.get("offers", []):
                    offer["sku"] = str(offer.get("sku") or "").replace(base["mpn"], mpn) or f"{mpn}-SKU"
                    for point in offer.get("prices", []):
                        point["price"] = round(point["price"] * (1 + 0.003 * i), 6)
                        if point.get("convertedPrice") is not None:
                            point["convertedPrice"] = point["price"]
            out.append(part)
    return out


def typo(mpn: str) -> str:
    """A near miss that matches no part (and shares a prefix, so Nexar's suggest has something to say)."""
    return re.sub(r"-B(\d\d)$", r"-Z\1", mpn) if "-B" in mpn else mpn + "-ZZ"


# --- command texts -------------------------------------------------------------------------------

QUANTITIES = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000)


def quantity_text(rng: random.Random, q: int) -> str:
    forms = [f"x{q}", f"{q}", f"qty={q}"]
    if q >= 1000:
        forms.append(f"x{q / 1000:g}k")
    return rng.choice(forms)


def item_text(rng: random.Random, mpn: str, qty_share: float) -> str:
    shown = mpn.lower() if rng.random() < 0.1 else mpn
    if rng.random() < qty_share:
        return f"{shown} {quantity_text(rng, rng.choice(QUANTITIES))}"
    return shown


def parse_lookup(text: str) -> Lookup:
    parsed = parse_command(text)
    if not isinstance(parsed, Lookup):
        raise RuntimeError(f"bench bug: {text!r} does not parse as a lookup ({parsed!r})")
    return parsed
