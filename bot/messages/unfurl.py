"""A link's unfurl: MPN — manufacturer, lifecycle, total stock, best authorized price at 1 and 100."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.domain.links import UNFURL_OPTIONS
from bot.domain.models import PricedOffer
from bot.domain.money import format_money
from bot.domain.outcomes import PartAnswer
from bot.domain.priced import price_row
from bot.messages.answer import lifecycle_label
from bot.messages.blocks import Block, age_text, context, duration_text, escape, link, safe_url, section

QUANTITIES = (1, 100)


def _price_at(answer: PartAnswer, quantity: int) -> PricedOffer | None:
    at = replace(answer, item=replace(answer.item, quantity=quantity))
    return price_row(at, UNFURL_OPTIONS).best


def _price_text(best: PricedOffer | None, quantity: int) -> str:
    if best is None or best.unit_price is None:
        return f"{quantity:,}: _no authorized seller with stock_"
    note = ""
    if best.bought is not None and best.bought != quantity:
        note = f" _(buying {best.bought:,}: {'multiples' if best.rounded_up else 'minimum order'})_"
    estimate = " ≈" if best.estimated else ""
    return f"{quantity:,}: *{format_money(best.unit_price)}*{estimate} at {escape(best.seller.name)}{note}"


def _age(answer: PartAnswer, now: float, fresh_for: int) -> str:
    """How old the data is. A stored answer given because no fresh one could be had (over
    quota, Nexar down: `answer.stale` says which) is marked stale with its age and why; one
    past the cache's freshness is marked stale with its age."""
    fetched = answer.fetched_at
    if fetched is None:
        return ""
    age = max(now - fetched, 0.0)
    if answer.stale is None and age < fresh_for:
        return age_text(fetched, now, answer.from_cache)
    marker = f":hourglass: *stale*: prices and stock from {duration_text(age)} ago, not looked up again"
    return f"{marker} because {escape(answer.stale)}; billed nothing" if answer.stale else marker


def _stale_prefix(answer: PartAnswer, now: float) -> str:
    if answer.stale is None or answer.fetched_at is None:
        return ""
    return f"[stale: {duration_text(max(now - answer.fetched_at, 0.0))} old, because {answer.stale}] "


def render_unfurl(answer: PartAnswer, *, now: float, fresh_for: int, sample: bool) -> dict[str, Any]:
    """The `chat.unfurl` value for one URL (blocks, and a plain text fallback)."""
    part = answer.result.part if answer.result else None
    assert part is not None, "only a found part is unfurled"
    status = escape(lifecycle_label(part))
    if part.lifecycle.is_warning:
        status = f":warning: *{status}*"
    stock = "unknown" if part.total_avail is None else f"{part.total_avail:,}"
    prices = [_price_text(_price_at(answer, q), q) for q in QUANTITIES]
    lines = [
        f"*{link(part.octopart_url, part.mpn)}* — {escape(part.manufacturer)}",
        f"Lifecycle: {status}  ·  Total stock: {stock}",
        "Best authorized unit price at " + "  ·  ".join(prices),
    ]
    image = safe_url(part.image_url)
    accessory: Block | None = {"type": "image", "image_url": image, "alt_text": part.mpn[:2000]} if image else None
    source = "data: partbot sample catalog (invented prices)" if sample else "data: Nexar/Octopart"
    footer = " · ".join(t for t in ("USD", source, _age(answer, now, fresh_for)) if t)
    blocks = [section("\n".join(lines), accessory), context(footer)]
    text = f"{_stale_prefix(answer, now)}{part.mpn} — {part.manufacturer}: {lifecycle_label(part)}, total stock {stock}"
    return {"blocks": blocks, "fallback": text}
