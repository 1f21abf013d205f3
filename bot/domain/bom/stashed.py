"""A read BOM and the options it was shared with, as JSON: kept in the store's stash while
its "price from the team budget" offer waits, so the file is not downloaded twice."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.domain.bom.model import Bom, BomLine
from bot.domain.models import LineItem, Options


def bom_to_json(bom: Bom) -> dict[str, Any]:
    data = asdict(bom)
    data["lines"] = [[line.row, line.item.mpn, line.item.quantity, line.item.mfr] for line in bom.lines]
    data["problems"] = list(bom.problems)
    return data


def bom_from_json(data: dict[str, Any]) -> Bom:
    lines = tuple(BomLine(int(row), LineItem(str(mpn), int(qty), mfr)) for row, mpn, qty, mfr in data["lines"])
    fields = {k: v for k, v in data.items() if k not in ("lines", "problems")}
    return Bom(lines=lines, problems=tuple(str(p) for p in data["problems"]), **fields)


def options_to_json(options: Options) -> dict[str, Any]:
    return asdict(options)


def options_from_json(data: dict[str, Any]) -> Options:
    return Options(**data)
