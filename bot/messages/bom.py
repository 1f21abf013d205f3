"""Messages about a BOM: progress, errors and the priced summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.bom import Bom
from bot.domain.outcomes import Answer, Failed, OverQuota
from bot.domain.priced import Row, totals_by_currency
from bot.messages.blocks import (
    MAX_TEXT,
    Block,
    Message,
    clip,
    context,
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
from bot.messages.replies import render_failed, render_over_quota


def render_bom_progress(name: str, done: int, total: int) -> Message:
    text = escape(
        clip(f"Reading {name}…" if total <= 0 else f"Pricing {name}: {done:,} of {total:,} distinct parts looked up…", 500)
    )
    return Message(text, [section(f":hourglass_flowing_sand: {text}")])


def render_bom_error(name: str, problem: str) -> Message:
    text = f"I could not price {name}: {problem}."
    return Message(
        escape(clip(text, MAX_TEXT)),
        [
            section(f":warning: I could not price *{escape(clip(name, 100))}*: {escape(clip(problem, 2000))}."),
            context("Nothing was looked up and nothing was billed."),
        ],
    )


def render_outcome_problem(outcome: OverQuota | Failed, name: str) -> Message:
    if isinstance(outcome, Failed):
        return render_failed(outcome)
    msg = render_over_quota(outcome)
    lead = section(
        f"*{escape(clip(name, 100))}* needs {plural(outcome.refusal.needed, 'matched part')} that are not cached; "
        f"{plural(outcome.fits, 'line')} of {len(outcome.items):,} would fit in what is left."
    )
    return Message(
        f"{escape(clip(name, 100))}: {msg.text} {outcome.fits} of {len(outcome.items)} lines would fit.", [lead, *msg.blocks]
    )


def upload_comment(name: str) -> str:
    """The initial comment of the priced-BOM upload (mrkdwn: the file name escaped)."""
    return f"The full priced BOM for *{escape(clip(name, 200))}*, one row per line."


def render_bom_summary(answer: Answer, bom: Bom, name: str) -> Message:
    rows = answer.rows
    sums, priced = totals_by_currency(rows)
    total_text = sums.text()
    not_found = [r for r in rows if r.status == "not found" or r.status.startswith("error")]
    short = [r for r in rows if r.best is None and r.answer.result and r.answer.result.part] + [
        r for r in rows if r.best is not None and r.best.short_stock
    ]
    lifecycle = [r for r in rows if r.answer.result and r.answer.result.part and r.answer.result.part.lifecycle.is_warning]
    fields = [
        f"*Lines priced*\n{priced:,} of {len(rows):,}",
        f"*Total*\n{total_text}",
        f"*Not found*\n{len(not_found):,}",
        f"*Too little stock*\n{len(short):,}",
        f"*NRND / EOL / obsolete*\n{len(lifecycle):,}",
        f"*Unreadable lines*\n{len(bom.problems):,}",
    ]
    blocks: list[Block] = [header(f"BOM priced: {clip(name, 120)}"), *lead_blocks(answer)]
    blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": escape(f)} for f in fields]})

    def listing(title: str, items: Sequence[Row], describe: Any) -> None:
        if items:
            body = "\n".join(f"• {describe(r)}" for r in items[:15])
            more = len(items) - 15
            blocks.append(section(f"*{title}*\n{body}" + (f"\n_and {more} more in the CSV_" if more > 0 else "")))

    listing(
        "Not found",
        not_found,
        lambda r: f"`{escape(r.answer.item.mpn)}`" + (f" — {escape(r.status)}" if r.status != "not found" else ""),
    )
    listing(
        "Too little stock",
        short,
        lambda r: (
            f"`{escape(r.answer.item.mpn)}` × {r.answer.item.quantity:,}"
            + (
                f": best stock {stock_label(r.best.offer.inventory_level)} at {escape(r.best.seller.name)}"
                if r.best
                else ": no seller has stock"
            )
        ),
    )
    listing(
        "Lifecycle warnings",
        lifecycle,
        lambda r: f"`{escape(r.answer.item.mpn)}`: {escape(r.answer.result.part.lifecycle.value)}",
    )
    blocks.append(context(what_was_read(bom)))
    if bom.problems:
        body = "\n".join(f"• {escape(p)}" for p in bom.problems[:10])
        blocks.append(
            section(
                f"*Lines I could not read* (not looked up, not billed)\n{body}"
                + (f"\n_and {len(bom.problems) - 10} more_" if len(bom.problems) > 10 else "")
            )
        )
    blocks.append(footer(answer))
    text = (
        f"BOM {name}: {priced} of {len(rows)} lines priced, total {total_text}; "
        f"{len(not_found)} not found, {len(short)} short of stock, {len(lifecycle)} NRND/EOL/obsolete, "
        f"{len(bom.problems)} unreadable."
    ) + skipped_text(bom)
    text = stale_prefix(answer) + text
    return Message(clip(("[sample data] " if answer.sample else "") + escape(text), MAX_TEXT), limit_blocks(blocks, 1))


def skipped_text(bom: Bom) -> str:
    parts = []
    if bom.skipped_blank:
        parts.append(f"{plural(bom.skipped_blank, 'line')} without a part number (empty, N/A, TBD …)")
    if bom.skipped_dnp:
        parts.append(f"{plural(bom.skipped_dnp, 'line')} marked do-not-populate")
    return (" Skipped: " + "; ".join(parts) + ".") if parts else ""


def what_was_read(bom: Bom) -> str:
    """Which columns (and sheet) were read, what was skipped, and the board multiplier."""
    read = f"Part numbers from *{escape(clip(bom.mpn_column, 60))}*"
    if bom.sheet:
        read = f"Sheet *{escape(clip(bom.sheet, 60))}*: " + read[0].lower() + read[1:]
    if bom.mfr_column:
        read += f", manufacturers from *{escape(clip(bom.mfr_column, 60))}* (each line matches only its manufacturer)"
    if bom.qty_column:
        read += f", quantities from *{escape(clip(bom.qty_column, 60))}*."
    else:
        read = ":warning: *No quantity column found* (looked for `Qty` or `Quantity`): every line is priced for 1. " + read + "."
    if bom.boards > 1:
        read += f" Every quantity is multiplied by *{bom.boards:,} boards*."
    return read + escape(skipped_text(bom))


def render_nothing_read(bom: Bom) -> str:
    """Why a BOM with a part-number column gave no line to price."""
    if bom.problems:
        return (
            "no line of it could be read: "
            + "; ".join(bom.problems[:5])
            + (f" (and {len(bom.problems) - 5} more)" if len(bom.problems) > 5 else "")
        )
    return f"its column {bom.mpn_column!r} holds no part numbers.{skipped_text(bom)}"
