"""Alternates under a single-part answer, and the "Show alternates" button."""

from __future__ import annotations

import json

from bot.domain.money import format_money
from bot.domain.outcomes import Alternates, Answer, PartAnswer
from bot.domain.priced import price_row
from bot.messages.blocks import Block, clip, context, escape, link, plural, section, slack_date, stock_label

ALTERNATES_ACTION = "show_alternates"


def _alternate_line(a: PartAnswer, answer: Answer) -> str:
    part = a.result.part if a.result else None
    assert part is not None
    name = f"*{escape(part.mpn)}*"
    if part.octopart_url:
        name = link(part.octopart_url, part.mpn)
    bits = [name + (f" — {escape(part.manufacturer)}" if part.manufacturer else "")]
    if part.lifecycle.is_warning:
        bits.append(f":warning: {escape(part.lifecycle.value)}")
    best = price_row(a, answer.options).best
    if best is None or best.unit_price is None:
        bits.append("no authorized seller lists a price")
    else:
        total = f" ({format_money(best.extended_price)} for {best.bought:,})" if best.extended_price else ""
        bits.append(f"{format_money(best.unit_price)} each{total} at {escape(best.seller.name)}")
        bits.append(f"stock {stock_label(best.offer.inventory_level)}" + (" — short" if best.short_stock else ""))
    return " · ".join(bits)


def _refused(alt: Alternates) -> Block:
    r = alt.refused
    assert r is not None
    who = "you have" if r.scope == "user" else "the team has"
    period = "today" if r.scope == "user" else "this month"
    return section(
        f":no_entry: *No alternates:* {who} {plural(r.left, 'matched part')} left {period}, and listing alternates "
        f"needs at least {r.needed:,} (Nexar returns any number of similar parts and bills each one). "
        f"The quota resets {slack_date(r.resets)}."
    )


def alternates_blocks(answer: Answer) -> list[Block]:
    alt = answer.alternates
    if alt is None:
        return []
    if alt.refused is not None:
        return [_refused(alt)]
    if alt.problem:
        return [context(f":information_source: {escape(clip(alt.problem, 500))}")]
    if not alt.shown:
        cost = f" (cost {plural(alt.cost, 'matched part')})" if alt.cost else ""
        return [context(f"Nexar lists no similar parts for this one{cost}.")]
    qty = answer.answers[0].item.quantity
    head = f"*Alternates* · the best {len(alt.shown)} of {plural(alt.returned, 'similar part')} Nexar lists, for {qty:,} pcs from authorized sellers"
    blocks = [section(head + "\n" + "\n".join(f"• {_alternate_line(a, answer)}" for a in alt.shown))]
    if alt.cost:
        blocks.append(
            context(
                f"Listing alternates cost {plural(alt.cost, 'matched part')}: every part Nexar returned, the asked one included."
            )
        )
    else:
        blocks.append(context("Alternates from the cache: no matched parts billed."))
    return blocks


def wants_alternates_button(answer: Answer) -> bool:
    """One part, found, no alternates shown yet, and out of stock or NRND/EOL/obsolete."""
    if answer.alternates is not None or len(answer.answers) != 1 or answer.answers[0].is_stale:
        return False
    row = answer.rows[0]
    part = row.part
    if part is None:
        return False
    return part.lifecycle.is_warning or not row.stocked


def alternates_button(answer: Answer) -> Block:
    a = answer.answers[0]
    value = {
        "mpn": a.item.mpn,
        "qty": a.item.quantity,
        "mfr": a.item.mfr or answer.options.mfr,
        "currency": answer.options.currency,
        "country": answer.options.country,
    }
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": "Show alternates", "emoji": True},
        "action_id": ALTERNATES_ACTION,
        "value": json.dumps(value, separators=(",", ":"))[:2000],
    }


def with_alternates_button(actions: Block | None, answer: Answer) -> Block | None:
    """`actions` with a "Show alternates" button added when the answer calls for one."""
    if not wants_alternates_button(answer):
        return actions
    button = alternates_button(answer)
    if actions is None:
        return {"type": "actions", "elements": [button]}
    return {**actions, "elements": [*actions["elements"], button]}


def public_actions(actions: Block) -> Block | None:
    """An actions block as a public answer keeps it: the "Show alternates" button alone
    (it answers the presser privately); None when nothing is left."""
    kept = [e for e in actions.get("elements", []) if e.get("action_id") == ALTERNATES_ACTION]
    return {**actions, "elements": kept} if kept else None
