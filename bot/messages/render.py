"""Block Kit rendering: outcomes in, `Message` (text fallback + blocks) out. No Slack calls.

Every builder here keeps Slack's limits for any input: ≤ 50 blocks per message,
section text ≤ 3000, fields ≤ 10 × 2000, header ≤ 150, one table block at most.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlparse

from bot.domain.bom import Bom, bom_csv
from bot.domain.commands import Invalid
from bot.domain.models import Part, PricedOffer
from bot.domain.outcomes import Answer, Failed, Outcome, OverQuota, PartAnswer, QuotaView
from bot.domain.pricing import format_money, format_total, is_stocked, rank_offers, stock_label
from bot.domain.recent import RecentLookup

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_HEADER = 150
MAX_CONTEXT = 2000
MAX_TEXT = 3500
SELLERS_SHOWN = 8
SAMPLE_NOTE = ":test_tube: *Sample data* from partbot's bundled catalog: invented stock and prices, not live quotes."
SHARE_ACTION = "share_answer"
Block = dict[str, Any]


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[Block] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# --- small builders -----------------------------------------------------------------


def escape(text: str) -> str:
    """Escape text for mrkdwn: Slack's three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL made safe inside `<url|label>` and short enough for any Slack field."""
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    safe = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")
    return safe if len(safe) <= 2000 else None


def link(url: str | None, label: str) -> str:
    url = safe_url(url)
    label = escape(label).replace("|", "¦")
    return f"<{url}|{label}>" if url else label


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER) or " ", "emoji": True}}


def section(text: str, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION) or " "}}
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    elements = [{"type": "mrkdwn", "text": clip(t, MAX_CONTEXT)} for t in texts if t][:10]
    return {"type": "context", "elements": elements or [{"type": "mrkdwn", "text": " "}]}


def divider() -> Block:
    return {"type": "divider"}


def _limit_blocks(blocks: list[Block], tail: int = 2) -> list[Block]:
    """Keep at most MAX_BLOCKS, always keeping the last `tail` blocks (actions, footer)."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return blocks[: MAX_BLOCKS - tail] + blocks[-tail:]


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n:,} {word}" + ("es" if word.endswith(("ch", "sh", "s", "x")) else "s")


def age_text(fetched_at: float | None, now: float, from_cache: bool) -> str:
    if fetched_at is None:
        return ""
    seconds = max(now - fetched_at, 0)
    if not from_cache or seconds < 60:
        return "fetched just now" if not from_cache else "cached just now"
    if seconds < 3600:
        return f"cached {int(seconds // 60)} min ago"
    return f"cached {seconds / 3600:.1f} h ago"


def _quota_text(quota: QuotaView | None) -> str:
    if quota is None:
        return ""
    return (
        f"you have {quota.user_left:,}/{quota.user_limit:,} left today · team {quota.team_left:,}/{quota.team_limit:,} this month"
    )


def footer(answer: Answer, *, personal: bool = True) -> Block:
    fetched = [a for a in answer.answers if a.fetched_at is not None]
    first = min(fetched, key=lambda a: a.fetched_at or 0.0) if fetched else None
    oldest = age_text(first.fetched_at, answer.now, first.from_cache) if first else ""
    source = "data: partbot sample catalog" if answer.sample else "data: Nexar/Octopart"
    cost = "no matched parts billed (sample data)" if answer.sample else f"this answer cost {plural(answer.cost, 'matched part')}"
    parts = [answer.options.currency, source]
    if oldest:
        parts.append(oldest)
    parts.append(cost)
    quota = _quota_text(answer.quota) if personal and not answer.sample else ""
    if quota:
        parts.append(quota)
    return context(" · ".join(parts))


# --- one part ------------------------------------------------------------------------


def _lifecycle(part: Part) -> str:
    status = part.lifecycle
    label = escape(part.lifecycle_text or status.value)
    if status.is_warning:
        return f":warning: *{label}*"
    return label


def _breaks_text(p: PricedOffer) -> str:
    if not p.breaks:
        return ""
    idx = 0
    for i, b in enumerate(p.breaks):
        if b.quantity <= (p.priced_quantity or 0):
            idx = i
    shown = p.breaks[max(0, idx - 2) : idx + 3]
    return "Breaks: " + " · ".join(
        (
            f"*{b.quantity:,}+ {format_money(b.price, b.currency)}*"
            if i + max(0, idx - 2) == idx
            else f"{b.quantity:,}+ {format_money(b.price, b.currency)}"
        )
        for i, b in enumerate(shown)
    )


def _offer_text(p: PricedOffer, quantity: int) -> str:
    seller = link(p.offer.click_url or p.seller.homepage_url, p.seller.name)
    flags = []
    if not p.seller.is_authorized:
        flags.append("broker" if p.seller.is_broker else "not authorized")
    head = f"*{seller}*" + (f" _({', '.join(flags)})_" if flags else "")
    head += f"  ·  {stock_label(p.offer.inventory_level)}"
    if p.offer.inventory_level > 0:
        head += " in stock"
    if p.offer.moq and p.offer.moq > 1:
        head += f"  ·  MOQ {p.offer.moq:,}"
    if p.offer.packaging:
        head += f"  ·  {escape(p.offer.packaging)}"
    lines = [head]
    if p.unit_price is not None and p.priced_quantity is not None and p.extended_price is not None:
        line = (
            f"*{format_money(p.unit_price, p.currency)}* each → *{format_total(p.extended_price, p.currency)}* "
            f"for {p.priced_quantity:,}"
        )
        notes = []
        if p.below_moq:
            notes.append(f"priced at the minimum order of {p.priced_quantity:,}, not {quantity:,}")
        if 0 < p.offer.inventory_level < (p.priced_quantity or 0):
            notes.append(f"only {p.offer.inventory_level:,} in stock")
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


def _octopart_search(mpn: str) -> str:
    return "https://octopart.com/search?q=" + quote(mpn)


def _lead_blocks(answer: Answer) -> list[Block]:
    blocks: list[Block] = []
    if answer.sample:
        blocks.append(context(SAMPLE_NOTE))
    if answer.understood:
        blocks.append(context(f":speech_balloon: I read this as: *{escape(clip(answer.understood, 500))}*"))
    return blocks


def render_single(answer: Answer, a: PartAnswer, *, actions: Block | None = None) -> Message:
    item, opts = a.item, answer.options
    part = a.result.part if a.result else None
    blocks = _lead_blocks(answer)
    if part is None:
        return _render_no_match(answer, a, blocks, actions)
    blocks.insert(0, header(f"{part.mpn} — {part.manufacturer}" if part.manufacturer else part.mpn))
    if not a.exact:
        blocks.append(section(f":mag: No exact match for `{escape(clip(item.mpn, 40))}`; this is the *closest match*."))
    if part.lifecycle.is_warning:
        blocks.append(
            section(
                f":warning: *Lifecycle: {escape(part.lifecycle_text or part.lifecycle.value)}*. Check availability and alternatives before designing it in."
            )
        )
    blocks.append(_part_summary(part, a.result.hits if a.result else 1))
    blocks.append(divider())
    ranked = rank_offers(part, item.quantity, opts.currency, opts.all_sellers)
    stocked = [p for p in ranked if is_stocked(p)]
    unstocked = [p for p in ranked if not is_stocked(p)]
    scope = "all sellers" if opts.all_sellers else "authorized sellers"
    if not ranked:
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
            url = part.octopart_url or _octopart_search(part.mpn)
            label = plural(more, "more seller") + " on Octopart"
            blocks.append(context(link(url, label)))
    if actions:
        blocks.append(actions)
    blocks.append(footer(answer))
    text = _single_text(answer, a, part, stocked)
    return Message(text, _limit_blocks(blocks, 2 if actions else 1))


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


def _single_text(answer: Answer, a: PartAnswer, part: Part, stocked: Sequence[PricedOffer]) -> str:
    bits = [f"{part.mpn} ({part.manufacturer})" if part.manufacturer else part.mpn]
    if not a.exact:
        bits[0] = f"closest match for {a.item.mpn}: {bits[0]}"
    if part.lifecycle.is_warning:
        bits.append(f"lifecycle {part.lifecycle.value}")
    best = next((p for p in stocked if p.unit_price is not None), None)
    if best is not None and best.unit_price is not None:
        level = best.offer.inventory_level
        stock = f"{level:,} in stock" if level > 0 else stock_label(level)
        bits.append(
            f"best {format_money(best.unit_price, best.currency)} each at {best.priced_quantity:,} from {best.seller.name} ({stock})"
        )
    elif stocked:
        bits.append("in stock but no price listed")
    else:
        bits.append("no seller with stock")
    if stocked:
        bits.append(plural(len(stocked), "seller") + " with stock")
    text = "; ".join(bits)
    if answer.sample:
        text = "[sample data] " + text
    return clip(text, MAX_TEXT)


def _render_no_match(answer: Answer, a: PartAnswer, blocks: list[Block], actions: Block | None) -> Message:
    asked = escape(clip(a.item.mpn, 40))
    lines = [f":grey_question: *No part matches `{asked}`.*"]
    suggestions = a.result.suggestions if a.result else ()
    if suggestions:
        lines.append("Did you mean: " + ", ".join(f"`{escape(s)}`" for s in suggestions[:5]) + "?")
    else:
        lines.append("Check the part number, or search " + link(_octopart_search(a.item.mpn), "Octopart") + ".")
    blocks = [header(f"No match for {clip(a.item.mpn, 40)}"), *blocks, section("\n".join(lines))]
    blocks.append(footer(answer))
    text = f"No part matches {a.item.mpn}." + (f" Did you mean {', '.join(suggestions[:5])}?" if suggestions else "")
    return Message(("[sample data] " if answer.sample else "") + text, blocks)


# --- several parts -------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of a multi-part answer or a BOM."""

    answer: PartAnswer
    best: PricedOffer | None
    status: str

    @property
    def extended(self) -> float | None:
        return self.best.extended_price if self.best else None


def price_rows(answer: Answer) -> list[Row]:
    rows = []
    opts = answer.options
    for a in answer.answers:
        part = a.result.part if a.result else None
        if a.error:
            rows.append(Row(a, None, "error: " + a.error))
            continue
        if part is None:
            rows.append(Row(a, None, "not found"))
            continue
        ranked = rank_offers(part, a.item.quantity, opts.currency, opts.all_sellers)
        best = next((p for p in ranked if is_stocked(p) and p.unit_price is not None), None)
        flags = []
        if not a.exact:
            flags.append(f"closest: {part.mpn}")
        if part.lifecycle.is_warning:
            flags.append(part.lifecycle.value)
        if best is None:
            flags.append("no stock")
        elif 0 < best.offer.inventory_level < a.item.quantity:
            flags.append("short stock")
        elif best.below_moq:
            flags.append(f"MOQ {best.priced_quantity:,}")
        if best is not None and best.estimated:
            flags.append("≈ converted")
        rows.append(Row(a, best, ", ".join(flags) or "ok"))
    return rows


def totals(rows: Sequence[Row]) -> tuple[str, int]:
    """(the sum of extended prices, one sum per currency, e.g. "$1,010.00 + €12.00"; lines priced).

    A line only has a price in another currency when neither a native nor a converted
    price in the asked one exists; such amounts are never added to the others."""
    sums: dict[str | None, float] = {}
    priced = 0
    for r in rows:
        if r.extended is not None and r.best is not None:
            sums[r.best.currency] = sums.get(r.best.currency, 0.0) + r.extended
            priced += 1
    text = " + ".join(format_total(v, c) for c, v in sums.items()) or format_total(0.0, None)
    return text, priced


def _cell(text: str) -> dict[str, str]:
    return {"type": "raw_text", "text": clip(text, 200) or "—"}


def render_multi(answer: Answer, *, actions: Block | None = None) -> Message:
    rows = price_rows(answer)
    total, priced = totals(rows)
    blocks: list[Block] = [header(f"Price check: {plural(len(rows), 'part')}"), *_lead_blocks(answer)]
    table_rows = [[_cell(h) for h in ("Part", "Qty", "Best seller", "Unit", "Extended", "Stock", "Status")]]
    for r in rows:
        part = r.answer.result.part if r.answer.result else None
        b = r.best
        table_rows.append(
            [
                _cell(part.mpn if part else r.answer.item.mpn),
                _cell(f"{r.answer.item.quantity:,}"),
                _cell(b.seller.name if b else "—"),
                _cell(format_money(b.unit_price, b.currency) if b and b.unit_price is not None else "—"),
                _cell(format_total(b.extended_price, b.currency) if b and b.extended_price is not None else "—"),
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
    summary = f"*Total: {total}* for {plural(priced, 'line')} priced"
    problems = [r for r in rows if r.status != "ok"]
    if problems:
        summary += " · " + plural(len(problems), "line") + (" needs" if len(problems) == 1 else " need") + " a look"
    blocks.append(section(summary))
    if actions:
        blocks.append(actions)
    blocks.append(footer(answer))
    text = f"Price check of {plural(len(rows), 'part')}: total {total} for {plural(priced, 'line')} priced" + (
        "; " + "; ".join(f"{r.answer.item.mpn}: {r.status}" for r in problems[:10]) if problems else ""
    )
    return Message(clip(("[sample data] " if answer.sample else "") + text, MAX_TEXT), _limit_blocks(blocks))


def render_answer(answer: Answer, *, share_value: str | None = None, public: bool = False) -> Message:
    """The answer; `share_value` adds the "Share in channel" button. The footer tells the asker
    their quota, except in a `public` answer."""
    actions = share_actions(share_value) if share_value else None
    msg = (
        render_multi(answer, actions=actions)
        if len(answer.answers) > 1
        else render_single(answer, answer.answers[0], actions=actions)
    )
    return public_copy(answer, msg) if public else msg


def public_copy(answer: Answer, private: Message) -> Message:
    """`private` as the channel sees it: no share button, no personal quota in the footer."""
    blocks = [b for b in private.blocks if b.get("type") != "actions"]
    if blocks and blocks[-1].get("type") == "context":
        blocks[-1] = footer(answer, personal=False)
    return Message(private.text, blocks)


def render_outcome(outcome: Outcome, *, share_value: str | None = None, public: bool = False) -> Message:
    if isinstance(outcome, OverQuota):
        return render_over_quota(outcome)
    if isinstance(outcome, Failed):
        return render_failed(outcome)
    return render_answer(outcome, share_value=share_value, public=public)


def share_actions(value: str) -> Block:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Share in channel", "emoji": True},
                "action_id": SHARE_ACTION,
                "value": clip(value, 2000),
            }
        ],
    }


# --- everything else -----------------------------------------------------------------


def render_help(command: str = "/part") -> Message:
    examples = "\n".join(
        f"• `{command} {ex}` — {what}"
        for ex, what in (
            ("AD7685ARM", "sellers, stock and price breaks"),
            ("AD7685ARM x250", "priced for 250 pieces (also `250`, `qty=250`, `x2.5k`)"),
            ("LM358 x100, NE555 x50", "several parts at once (up to 20)"),
            ("AD7685ARM --all", "include non-authorized sellers and brokers"),
            ("AD7685ARM x100 --currency EUR --country DE", "prices in euros, for Germany"),
            ("AD7685ARM --public", "answer in the channel instead of privately"),
            ("usage", "your matched-part quota and the team's"),
        )
    )
    blocks = [
        header("partbot — part prices from Octopart"),
        section(f"*Ask about any part:*\n{examples}"),
        section(
            "*In a thread*, mention me: `@partbot AD7685ARM x250`, or in plain English: "
            "_@partbot what would 500 pcs of NE555DR cost us?_\n"
            "*A whole BOM*: share a CSV with MPN and quantity columns in a message that mentions @partbot."
        ),
        context(
            "Answers are private unless you add `--public`. Lookups cost matched parts from the team's Nexar plan; repeated questions are answered from the cache for free."
        ),
    ]
    return Message(f"Usage: {command} MPN [xQTY] [--all] [--currency EUR] [--country DE] [--public]", blocks)


def render_invalid(invalid: Invalid) -> Message:
    text = f"Sorry, I could not read that: {invalid.problem}. {invalid.hint}"
    return Message(
        clip(text, MAX_TEXT),
        [
            section(
                f":warning: I could not read that: {escape(clip(invalid.problem, 1000))}.\n{escape(clip(invalid.hint, 1000))}"
            ),
            context("Nothing was looked up and nothing was billed. `/part help` shows examples."),
        ],
    )


def _when(moment: datetime) -> str:
    ts = int(moment.timestamp())
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{ts}^{{date_short_pretty}} at {{time}}|{fallback}>"


def render_over_quota(over: OverQuota) -> Message:
    r = over.refusal
    who = "You have" if r.scope == "user" else "The team has"
    period = "today" if r.scope == "user" else "this month"
    lines = [
        f":no_entry: *{who} {plural(r.left, 'matched part')} left {period}*; "
        f"this needs {plural(r.needed, 'more matched part')} that are not in the cache.",
    ]
    if len(over.items) > 1:
        lines.append(f"{plural(over.fits, 'line')} of {len(over.items)} would fit; split the list or ask an admin.")
    lines.append(f"The quota resets {_when(r.resets)}. Answers already in the cache stay free.")
    text = f"{who} {r.left} matched parts left {period}; this needs {r.needed}. Resets {r.resets:%Y-%m-%d %H:%M} UTC. Nothing was billed."
    return Message(text, [section("\n".join(lines)), context("Nothing was sent to Nexar and nothing was billed.")])


def render_failed(failed: Failed) -> Message:
    asked = ", ".join(i.mpn for i in failed.items[:5])
    lines = [f":warning: {escape(failed.message)}"]
    if asked:
        lines.append(f"_Asked: {escape(clip(asked, 200))}_")
    return Message(
        clip(f"Sorry — {failed.message}", MAX_TEXT),
        [section("\n".join(lines)), context("No matched parts were billed for this.")],
    )


def render_error() -> Message:
    text = "Sorry, something went wrong on partbot's side. Please try again; the admin can find the details in partbot's log."
    return Message(text, [section(f":warning: {text}")])


def render_usage(
    quota: QuotaView | None, *, sample: bool, top: tuple[list[tuple[str, int]], list[tuple[str, int]]] | None = None
) -> Message:
    if quota is None:
        return render_failed(Failed("partbot cannot read its quota ledger right now."))
    lines = [
        f"*You today:* {quota.user_spent:,} of {quota.user_limit:,} matched parts used · {quota.user_left:,} left · resets {_when(quota.user_resets)}",
        f"*Team this month:* {quota.team_spent:,} of {quota.team_limit:,} used · {quota.team_left:,} left · resets {_when(quota.team_resets)}",
    ]
    blocks = [header("partbot usage"), section("\n".join(lines))]
    if top is not None:
        today, month = top
        fields = [
            {
                "type": "mrkdwn",
                "text": clip("*Top today*\n" + ("\n".join(f"<@{u}> {n:,}" for u, n in today) or "_nobody yet_"), MAX_FIELD),
            },
            {
                "type": "mrkdwn",
                "text": clip("*Top this month*\n" + ("\n".join(f"<@{u}> {n:,}" for u, n in month) or "_nobody yet_"), MAX_FIELD),
            },
        ]
        blocks.append({"type": "section", "fields": fields})
    note = "Cache hits are free. A lookup costs one matched part per part Nexar returns."
    if sample:
        note = "Running on the bundled sample catalog: lookups are not billed. " + note
    blocks.append(context(note))
    text = (
        f"You: {quota.user_spent}/{quota.user_limit} matched parts today. Team: {quota.team_spent}/{quota.team_limit} this month."
    )
    return Message(text, blocks)


def render_home(recent: Sequence[RecentLookup], quota: QuotaView | None, *, sample: bool) -> dict[str, Any]:
    blocks: list[Block] = [
        header("partbot"),
        section("Ask about any electronic part: `/part AD7685ARM x250` anywhere, or `@partbot` in a thread."),
    ]
    if sample:
        blocks.append(context(SAMPLE_NOTE))
    blocks.append(divider())
    blocks.append(section("*Your recent lookups*"))
    if recent:
        for entry in list(recent)[:10]:
            when = f" · {_when(datetime.fromtimestamp(entry.at, UTC))}" if entry.at else ""
            if entry.bom:
                name = escape(clip(entry.bom, 60))
                total = escape(entry.total)
                lines = plural(entry.lines, "line")
                blocks.append(context(f"*BOM {name}* — {entry.priced:,} of {lines} priced, total {total}{when}"))
                continue
            mpn = escape(clip(entry.found or entry.mpn or "?", 40))
            best = f"{escape(entry.price)} each at {escape(entry.seller or '')}" if entry.price else "no priced offer"
            if not entry.found:
                best = "not found"
            blocks.append(context(f"*{mpn}* × {entry.qty:,} — {best}{when}"))
    else:
        blocks.append(context("Nothing yet. Try `/part LM358 x100`."))
    blocks.append(divider())
    if quota is not None:
        blocks.append(
            section(
                f"*Your quota today:* {quota.user_left:,} of {quota.user_limit:,} matched parts left\n"
                f"*Team this month:* {quota.team_left:,} of {quota.team_limit:,} left"
            )
        )
    blocks.append(
        context(
            "How it works: each lookup Nexar answers costs one matched part from the team's plan; "
            "answers are cached, so asking again is free. Add `--public` to answer in the channel, "
            "or share a CSV BOM with a mention to price it all."
        )
    )
    return {"type": "home", "blocks": blocks[:100]}


# --- terminal ------------------------------------------------------------------------

_LINK_RE = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_DATE_RE = re.compile(r"<!date\^\d+\^[^|]*\|([^>]+)>")


def _plain(text: str) -> str:
    text = _DATE_RE.sub(r"\1", text)
    text = _LINK_RE.sub(r"\2", text)
    text = re.sub(r"<@([A-Z0-9]+)>", r"@\1", text)
    text = re.sub(r":[a-z_]+: ?", "", text)
    text = text.replace("*", "").replace("_", "").replace("`", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_terminal(message: Message) -> str:
    """A readable plain-text view of a message's blocks, for `python -m bot ask`."""
    out: list[str] = []
    for block in message.blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            out += [title, "=" * min(len(title), 78)]
        elif kind == "section":
            if "text" in block:
                out.append(_plain(block["text"]["text"]))
            for f in block.get("fields", []):
                out.append(_plain(f["text"]))
            acc = block.get("accessory") or {}
            if acc.get("type") == "image":
                out.append(f"  [picture: {acc['image_url']}]")
        elif kind == "context":
            out.append("  " + " ".join(_plain(e.get("text", "")) for e in block["elements"]))
        elif kind == "divider":
            out.append("-" * 78)
        elif kind == "table":
            rows = [[c.get("text", "") for c in row] for row in block["rows"]]
            widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(rows[0]))]
            for n, row in enumerate(rows):
                out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
                if n == 0:
                    out.append("  ".join("-" * w for w in widths))
        elif kind == "actions":
            continue
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- BOM -----------------------------------------------------------------------------


def render_bom_progress(name: str, done: int, total: int) -> Message:
    text = f"Reading {name}…" if total <= 0 else f"Pricing {name}: {done:,} of {total:,} distinct parts looked up…"
    return Message(text, [section(f":hourglass_flowing_sand: {escape(clip(text, 500))}")])


def render_bom_error(name: str, problem: str) -> Message:
    text = f"I could not price {name}: {problem}."
    return Message(
        clip(text, MAX_TEXT),
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
    return Message(f"{name}: {msg.text} {outcome.fits} of {len(outcome.items)} lines would fit.", [lead, *msg.blocks])


def render_bom_summary(answer: Answer, bom: Bom, name: str) -> Message:
    rows = price_rows(answer)
    total, priced = totals(rows)
    not_found = [r for r in rows if r.status == "not found" or r.status.startswith("error")]
    short = [r for r in rows if r.best is None and r.answer.result and r.answer.result.part] + [
        r for r in rows if r.best is not None and 0 < r.best.offer.inventory_level < r.answer.item.quantity
    ]
    lifecycle = [r for r in rows if r.answer.result and r.answer.result.part and r.answer.result.part.lifecycle.is_warning]
    fields = [
        f"*Lines priced*\n{priced:,} of {len(rows):,}",
        f"*Total*\n{total}",
        f"*Not found*\n{len(not_found):,}",
        f"*Too little stock*\n{len(short):,}",
        f"*NRND / EOL / obsolete*\n{len(lifecycle):,}",
        f"*Unreadable lines*\n{len(bom.problems):,}",
    ]
    blocks: list[Block] = [header(f"BOM priced: {clip(name, 120)}"), *_lead_blocks(answer)]
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
    read = f"Part numbers from *{escape(clip(bom.mpn_column, 60))}*"
    if bom.qty_column:
        read += f", quantities from *{escape(clip(bom.qty_column, 60))}*."
    else:
        read = ":warning: *No quantity column found* (looked for `Qty` or `Quantity`): every line is priced for 1. " + read + "."
    if bom.skipped_blank:
        read += f" {plural(bom.skipped_blank, 'line')} without a part number skipped."
    blocks.append(context(read))
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
        f"BOM {name}: {priced} of {len(rows)} lines priced, total {total}; "
        f"{len(not_found)} not found, {len(short)} short of stock, {len(lifecycle)} NRND/EOL/obsolete, "
        f"{len(bom.problems)} unreadable."
    )
    return Message(clip(("[sample data] " if answer.sample else "") + text, MAX_TEXT), _limit_blocks(blocks, 1))


BOM_CSV_HEADER = (
    "line",
    "mpn_asked",
    "qty",
    "mpn_found",
    "manufacturer",
    "lifecycle",
    "best_seller",
    "seller_stock",
    "unit_price",
    "currency",
    "priced_qty",
    "extended_price",
    "status",
    "octopart_url",
)


def bom_rows_csv(answer: Answer, bom: Bom) -> bytes:
    out = []
    for line, row in zip(bom.lines, price_rows(answer), strict=True):
        part = row.answer.result.part if row.answer.result else None
        b = row.best
        out.append(
            [
                line.row,
                line.item.mpn,
                line.item.quantity,
                part.mpn if part else "",
                part.manufacturer if part else "",
                part.lifecycle.value if part else "",
                b.seller.name if b else "",
                b.offer.inventory_level if b else "",
                f"{b.unit_price:.6g}" if b and b.unit_price is not None else "",
                b.currency if b else "",
                b.priced_quantity if b else "",
                f"{b.extended_price:.2f}" if b and b.extended_price is not None else "",
                row.status,
                part.octopart_url if part else "",
            ]
        )
    return bom_csv(BOM_CSV_HEADER, out)
