"""The offer to price a BOM bigger than the user's daily share from the team budget."""

from __future__ import annotations

from bot.domain.bom.offer import TeamOffer
from bot.messages.blocks import MAX_BLOCKS, MAX_TEXT, Block, Message, clip, context, escape, plural, section, slack_date

BOM_BUDGET_ACTION = "price_bom_from_team_budget"


def offer_label(offer: TeamOffer) -> str:
    plan = offer.plan
    lines = "all " + plural(len(plan.lines), "line") if not plan.truncated else "the first " + plural(len(plan.lines), "line")
    return f"Price {lines} from the team budget ({plural(plan.parts, 'part')})"


def render_bom_offer(offer: TeamOffer, name: str, owner: str, value: str) -> Message:
    plan, quota = offer.plan, offer.quota
    file = escape(clip(name, 100))
    lines = [
        f":bar_chart: *{file}* needs more matched parts than you have left today "
        f"({plural(quota.user_left, 'part')}, back {slack_date(quota.user_resets)}).",
        f"The team budget can price it: {plural(plan.parts, 'matched part')} for "
        f"{plural(len(plan.lines), 'line')}; {plural(plan.cached_lines, 'line')} already cached cost nothing.",
    ]
    if plan.truncated:
        lines.append(
            f":scissors: It has {plan.distinct + plan.left_out:,} distinct parts; partbot prices at most "
            f"{plan.distinct:,} of one BOM from the team budget, so this covers the first {plan.distinct:,} "
            f"and leaves out {plural(plan.total_lines - len(plan.lines), 'line')} ({plural(plan.left_out, 'part')})."
        )
    button: Block = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": clip(offer_label(offer), 75), "emoji": True},
                "action_id": BOM_BUDGET_ACTION,
                "value": value,
                "style": "primary",
            }
        ],
    }
    allowance = (
        "" if offer.bom_left is None else f" · your BOMs may take {plural(offer.bom_left, 'more part')} from it this month"
    )
    note = (
        f"Team budget: {quota.team_left:,} of {quota.team_limit:,} left this month{allowance}. "
        f"Only <@{owner}>, who shared it, or an admin can press this; the offer lasts a day."
    )
    text = f"{name}: price {len(plan.lines)} lines from the team budget for {plan.parts} matched parts?"
    return Message(escape(clip(text, MAX_TEXT)), [section("\n".join(lines)), button, context(note)])


def with_budget_note(message: Message, presser: str, left_out: tuple[int, int, int]) -> Message:
    """`message` (the BOM's progress or summary) noting it is priced from the team budget and
    what the limit on parts left out (`left_out`: lines, their parts, the parts priced); the
    note goes before the footer, within 50 blocks."""
    note = f":moneybag: Priced from the team budget (<@{presser}> pressed the button)."
    lines, parts, priced = left_out
    if lines:
        note += (
            f" {plural(lines, 'line')} with {plural(parts, 'other part')} were left out: only the first "
            f"{priced:,} distinct parts of a BOM are priced from the team budget."
        )
    blocks = list(message.blocks)
    tail = blocks[-1:] if len(blocks) > 1 else []
    head = blocks[: len(blocks) - len(tail)][: MAX_BLOCKS - 1 - len(tail)]
    return Message(message.text, [*head, context(note), *tail])
