"""A BOM for several boards: every line's quantity times the board count (`x50 boards`)."""

from __future__ import annotations

import dataclasses

from bot.domain.bom.model import Bom, BomLine
from bot.domain.parsing import MAX_QUANTITY


def for_boards(bom: Bom, boards: int) -> Bom:
    """Every line's quantity times the board count; a line that would pass the quantity limit is reported."""
    if boards == 1:
        return bom
    lines: list[BomLine] = []
    problems = list(bom.problems)
    for line in bom.lines:
        qty = line.item.quantity * boards
        if qty > MAX_QUANTITY:
            problems.append(
                f"line {line.row} ({line.item.mpn[:40]}): {line.item.quantity:,} × {boards:,} boards is more than {MAX_QUANTITY:,}"
            )
            continue
        lines.append(dataclasses.replace(line, item=dataclasses.replace(line.item, quantity=qty)))
    return dataclasses.replace(bom, lines=tuple(lines), problems=tuple(problems), boards=boards)
