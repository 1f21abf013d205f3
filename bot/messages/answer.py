"""The answer to one part: header, part summary, sellers ranked by what the buyer pays."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from bot.domain.models import STOCK_UNKNOWN, Lifecycle, Part, PricedOffer
from bot.domain.money import format_money
from bot.domain.outcomes import Answer, Failed, Outcome, OverQuota, PartAnswer
from bot.domain.priced import Row
from bot.messages.alternates import alternates_blocks, public_actions, with_alternates_button
from bot.messages.blocks import (
    MAX_CONTEXT,
    MAX_TEXT,
    Block,
    Message,
    clip,
    context,
    divider,
    escape,
    footer,
    header,
    lead_blocks,
    limit_blocks,
    link,
    plural,
    safe_url,
    section,
    share_actions,
    stale_prefix,
    stock_label,
)
from bot.messages.replies import render_failed, render_over_quota
from bot.messages.table import render_multi

SELLERS_SHOWN = 8


def lifecycle_label(part: Part) -> str:
    """The clean status ("EOL"), with Nexar's wording when it says more ("NRND (Not
    Recommended for New Designs)"); never its "(Last Updated: …)" note."""
    status, text = part.lifecycle, part.lifecycle_text
    if status is Lifecycle.UNKNOWN:
        return text or status.value
    if text and text.lower() != status.value.lower():
        return f"{status.value} ({text})"
    return status.value


def _lifecycle(part: Part) -> str:
    label = escape(lifecycle_label(part))
    if part.lifecycle.is_warning:
        return f":warning: *{label}*"
    return label


def _breaks_text(p: PricedOffer) -> str:
    if not p.breaks:
        return ""
    idx = 0
    for i, b in enumerate(p.breaks):
        if b.quantity <= (p.bought or 0):
            idx = i
    start = max(0, idx - 2)
    shown = p.breaks[start : idx + 3]
    return "Breaks: " + " · ".join(
        f"*{b.quantity:,}+ {format_money(b.money)}*" if start + i == idx else f"{b.quantity:,}+ {format_money(b.money)}"
        for i, b in enumerate(shown)
    )


def _bought_note(p: PricedOffer, quantity: int) -> str:
    """Why the quantity bought is not the one asked."""
    multiple = p.offer.order_multiple
    if p.rounded_up and multiple:
        return f"sold in multiples of {multiple:,}: priced for {p.bought:,}, not {quantity:,}"
    if p.below_moq:
        return f"priced at the minimum order of {p.bought:,}, not {quantity:,}"
    return ""


def _offer_text(p: PricedOffer, quantity: int) -> str:
    seller = link(p.offer.click_url or p.seller.homepage_url, p.seller.name)
    flags = []
    if not p.seller.is_authorized:
        flags.append("broker" if p.seller.is_broker else "not authorized")
    head = f"*{seller}*" + (f" _({', '.join(flags)})_" if flags else "")
    level = p.offer.inventory_level
    head += f"  ·  {level:,} in stock" if level > 0 else f"  ·  {stock_label(level)}"
    if level == STOCK_UNKNOWN:
        head += ", quantity unknown"
    if p.offer.moq and p.offer.moq > 1:
        head += f"  ·  MOQ {p.offer.moq:,}"
    if p.offer.order_multiple and p.offer.order_multiple > 1:
        head += f"  ·  multiples of {p.offer.order_multiple:,}"
    if p.offer.packaging:
        head += f"  ·  {escape(p.offer.packaging)}"
    lines = [head]
    if p.unit_price is not None and p.bought is not None and p.extended_price is not None:
        line = f"*{format_money(p.unit_price)}* each → *{format_money(p.extended_price)}* for {p.bought:,}"
        notes = [n for n in (_bought_note(p, quantity),) if n]
        if p.short_stock:
            notes.append(f"only {level:,} in stock")
        if p.estimated:
            notes.append("≈ converted, an estimate")
        if notes:
            line += "  _(" + "; ".join(notes) + ")_"
        lines.append(line)
        breaks = _breaks_text(p)
        if breaks:
            lines.append(breaks)
    else:
        lines.append("_no price listed_")
    return "\n".join(lines)


def _part_summary(part: Part, hits: int) -> Block:
    lines = []
    if part.description:
        lines.append(escape(clip(part.description, 500)))
    lines.append(f"*Lifecycle:* {_lifecycle(part)}")
    if part.total_avail is not None:
        lines.append(f"*Total stock:* {part.total_avail:,}")
    links = []
    if safe_url(part.datasheet_url):
        links.append(link(part.datasheet_url, ":page_facing_up: Datasheet"))
    if safe_url(part.octopart_url):
        links.append(link(part.octopart_url, "Octopart"))
    if links:
        lines.append(" · ".join(links))
    others = max(hits - 1, 0)
    if others:
        lines.append(f"_{plural(others, 'other match')} for this part number_")
    accessory = None
    image = safe_url(part.image_url)
    if image:
        accessory = {"type": "image", "image_url": image, "alt_text": clip(f"{part.mpn} by {part.manufacturer}", 200)}
    return section("\n".join(lines), accessory)


def octopart_search(mpn: str) -> str:
    return "https://octopart.com/search?q=" + quote(mpn)


def render_single(answer: Answer, row: Row, *, actions: Block | None = None) -> Message:
    a, opts = row.answer, answer.options
    item, part = a.item, row.part
    blocks = lead_blocks(answer)
    if part is None:
        return _render_no_match(answer, a, blocks, actions)
    blocks.insert(0, header(f"{part.mpn} — {part.manufacturer}" if part.manufacturer else part.mpn))
    if not a.exact:
        blocks.append(section(f":mag: No exact match for `{escape(clip(item.mpn, 40))}`; this is the *closest match*."))
    if part.lifecycle.is_warning:
        blocks.append(
            section(
                f":warning: *Lifecycle: {escape(lifecycle_label(part))}*. Check availability and alternatives before designing it in."
            )
        )
    blocks.append(_part_summary(part, a.result.hits if a.result else 1))
    blocks.append(divider())
    stocked, unstocked = row.stocked, row.unstocked
    scope = "all sellers" if opts.all_sellers else "authorized sellers"
    if not row.ranked:
        blocks.append(
            section(
                f"*No {scope} list this part.*"
                + ("" if opts.all_sellers else " Try `--all` to include other sellers and brokers.")
            )
        )
    else:
        blocks.append(section(f"*{scope.capitalize()} for {item.quantity:,} pcs* · cheapest with stock first"))
        for p in stocked[:SELLERS_SHOWN]:
            blocks.append(section(_offer_text(p, item.quantity)))
        more = len(stocked) - SELLERS_SHOWN
        if unstocked:
            blocks.append(context(_unstocked_text(unstocked)))
        if more > 0:
            url = part.octopart_url or octopart_search(part.mpn)
            label = plural(more, "more seller") + " on Octopart"
            blocks.append(context(link(url, label)))
    blocks.extend(alternates_blocks(answer))
    if actions:
        blocks.append(actions)
    blocks.append(footer(answer))
    return Message(_single_text(answer, row, part), limit_blocks(blocks, 2 if actions else 1))


def _unstocked_text(unstocked: Sequence[PricedOffer]) -> str:
    """Sellers without stock, as many whole links as fit the context budget, then "and N more"."""
    text, shown = "Listed without stock: ", 0
    for p in unstocked:
        entry = f"{link(p.offer.click_url or p.seller.homepage_url, p.seller.name)} ({stock_label(p.offer.inventory_level)})"
        if len(text) + len(entry) + 40 > MAX_CONTEXT:
            break
        text += (" · " if shown else "") + entry
        shown += 1
    extra = len(unstocked) - shown
    return text + (f" and {extra} more" if extra > 0 else "")


def _single_text(answer: Answer, row: Row, part: Part) -> str:
    """The plain-text fallback (Slack parses it as mrkdwn too: every value escaped)."""
    bits = [f"{part.mpn} ({part.manufacturer})" if part.manufacturer else part.mpn]
    if not row.answer.exact:
        bits[0] = f"closest match for {row.answer.item.mpn}: {bits[0]}"
    if part.lifecycle.is_warning:
        bits.append(f"lifecycle {part.lifecycle.value}")
    best = row.best
    if best is not None and best.unit_price is not None:
        level = best.offer.inventory_level
        stock = f"{level:,} in stock" if level > 0 else stock_label(level)
        bits.append(f"best {format_money(best.unit_price)} each at {best.bought:,} from {best.seller.name} ({stock})")
    elif row.stocked:
        bits.append("in stock but no price listed")
    else:
        bits.append("no seller with stock")
    if row.stocked:
        bits.append(plural(len(row.stocked), "seller") + " with stock")
    text = stale_prefix(answer) + "; ".join(bits)
    if answer.sample:
        text = "[sample data] " + text
    return escape(clip(text, MAX_TEXT))


def _render_no_match(answer: Answer, a: PartAnswer, blocks: list[Block], actions: Block | None) -> Message:
    asked = escape(clip(a.item.mpn, 40))
    lines = [f":grey_question: *No part matches `{asked}`.*"]
    suggestions = a.result.suggestions if a.result else ()
    if suggestions:
        lines.append("Did you mean: " + ", ".join(f"`{escape(s)}`" for s in suggestions[:5]) + "?")
    else:
        lines.append("Check the part number, or search " + link(octopart_search(a.item.mpn), "Octopart") + ".")
    blocks = [header(f"No match for {clip(a.item.mpn, 40)}"), *blocks, section("\n".join(lines))]
    blocks.append(footer(answer))
    text = f"No part matches {a.item.mpn}." + (f" Did you mean {', '.join(suggestions[:5])}?" if suggestions else "")
    return Message(escape(clip(("[sample data] " if answer.sample else "") + text, MAX_TEXT)), blocks)


def render_answer(answer: Answer, *, share_value: str | None = None, public: bool = False) -> Message:
    """The answer; `share_value` adds the "Share in channel" button (never to a `public` one).
    The footer tells the asker their quota, except in a `public` answer."""
    actions = with_alternates_button(share_actions(share_value) if share_value else None, answer)
    msg = (
        render_multi(answer, actions=actions)
        if len(answer.answers) > 1
        else render_single(answer, answer.rows[0], actions=actions)
    )
    return public_copy(answer, msg) if public else msg


def public_copy(answer: Answer, private: Message) -> Message:
    """`private` as the channel sees it: no share button, no personal quota in the footer;
    a "Show alternates" button stays (whoever presses it is answered privately)."""
    blocks: list[Block] = []
    for block in private.blocks:
        kept = public_actions(block) if block.get("type") == "actions" else block
        if kept is not None:
            blocks.append(kept)
    if blocks and blocks[-1].get("type") == "context":
        blocks[-1] = footer(answer, personal=False)
    return Message(private.text, blocks)


def render_outcome(outcome: Outcome, *, share_value: str | None = None, public: bool = False) -> Message:
    if isinstance(outcome, OverQuota):
        return render_over_quota(outcome)
    if isinstance(outcome, Failed):
        return render_failed(outcome)
    return render_answer(outcome, share_value=share_value, public=public)
