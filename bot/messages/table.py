"""The answer to several parts: one table and a total per currency."""

from __future__ import annotations

from bot.domain.money import format_money
from bot.domain.outcomes import Answer
from bot.domain.priced import totals_by_currency
from bot.messages.alternates import alternates_blocks
from bot.messages.blocks import (
    MAX_TEXT,
    Block,
    Message,
    clip,
    escape,
    footer,
    header,
    lead_blocks,
    limit_blocks,
    plural,
    section,
    stale_prefix,
    stock_label,
)


def _cell(text: str) -> dict[str, str]:
    return {"type": "raw_text", "text": clip(text, 200) or "—"}


def render_multi(answer: Answer, *, actions: Block | None = None) -> Message:
    rows = answer.rows
    sums, priced = totals_by_currency(rows)
    total_text = sums.text()
    blocks: list[Block] = [header(f"Price check: {plural(len(rows), 'part')}"), *lead_blocks(answer)]
    table_rows = [[_cell(h) for h in ("Part", "Qty", "Best seller", "Unit", "Extended", "Stock", "Status")]]
    for r in rows:
        part = r.answer.result.part if r.answer.result else None
        b = r.best
        table_rows.append(
            [
                _cell(part.mpn if part else r.answer.item.mpn),
                _cell(f"{r.answer.item.quantity:,}"),
                _cell(b.seller.name if b else "—"),
                _cell(format_money(b.unit_price) if b and b.unit_price is not None else "—"),
                _cell(format_money(b.extended_price) if b and b.extended_price is not None else "—"),
                _cell(stock_label(b.offer.inventory_level) if b else "—"),
                _cell(r.status),
            ]
        )
    blocks.append(
        {
            "type": "table",
            "rows": table_rows[:100],
            "column_settings": [
                None,
                {"align": "right"},
                None,
                {"align": "right"},
                {"align": "right"},
                {"align": "right"},
                {"is_wrapped": True},
            ],
        }
    )
    summary = f"*Total: {escape(total_text)}* for {plural(priced, 'line')} priced"
    problems = [r for r in rows if r.status != "ok"]
    if problems:
        summary += " · " + plural(len(problems), "line") + (" needs" if len(problems) == 1 else " need") + " a look"
    blocks.append(section(summary))
    blocks.extend(alternates_blocks(answer))
    if actions:
        blocks.append(actions)
    blocks.append(footer(answer))
    text = f"Price check of {plural(len(rows), 'part')}: total {total_text} for {plural(priced, 'line')} priced" + (
        "; " + "; ".join(f"{r.answer.item.mpn}: {r.status}" for r in problems[:10]) if problems else ""
    )
    text = ("[sample data] " if answer.sample else "") + stale_prefix(answer) + text
    return Message(escape(clip(text, MAX_TEXT)), limit_blocks(blocks))
