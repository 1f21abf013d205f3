"""Block Kit primitives every message shares, within Slack's limits for any input.

≤ 50 blocks per message, section text ≤ 3000, fields ≤ 10 × 2000, header ≤ 150,
one table block at most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from bot.domain.models import NON_STOCKED, RFQ, STOCK_UNKNOWN, UNKNOWN
from bot.domain.outcomes import Answer, QuotaView

MAX_BLOCKS = 50


MAX_SECTION = 3000


MAX_FIELD = 2000


MAX_HEADER = 150


MAX_CONTEXT = 2000


MAX_TEXT = 3500


SAMPLE_NOTE = ":test_tube: *Sample data* from partbot's bundled catalog: invented stock and prices, not live quotes."


SHARE_ACTION = "share_answer"


Block = dict[str, Any]


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[Block] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


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


def limit_blocks(blocks: list[Block], tail: int = 2) -> list[Block]:
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
    if seconds < 2 * 86400:
        return f"cached {seconds / 3600:.1f} h ago"
    return f"stored {seconds / 86400:.1f} days ago"


def duration_text(seconds: float) -> str:
    if seconds < 2 * 3600:
        return plural(max(int(seconds // 60), 1), "minute")
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def stale_summary(answer: Answer) -> tuple[int, str, str] | None:
    """(how many answers are stale, the oldest one's age, why), or None when all are fresh."""
    stale = [a for a in answer.answers if a.stale is not None]
    if not stale:
        return None
    oldest = min(a.fetched_at or answer.now for a in stale)
    reasons = "; ".join(dict.fromkeys(a.stale or "" for a in stale))
    return len(stale), duration_text(max(answer.now - oldest, 0)), reasons


def stale_prefix(answer: Answer) -> str:
    """The plain-text marker of an answer given from old stored data."""
    summary = stale_summary(answer)
    return f"[not fresh: up to {summary[1]} old, because {summary[2]}] " if summary else ""


def quota_text(quota: QuotaView | None) -> str:
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
    quota = quota_text(answer.quota) if personal and not answer.sample else ""
    if quota:
        parts.append(quota)
    return context(" · ".join(parts))


def lead_blocks(answer: Answer) -> list[Block]:
    blocks: list[Block] = []
    if answer.sample:
        blocks.append(context(SAMPLE_NOTE))
    summary = stale_summary(answer)
    if summary:
        n, age, why = summary
        which = "This answer is" if len(answer.answers) == 1 else f"{n:,} of {len(answer.answers):,} answers are"
        blocks.append(
            section(
                f":hourglass: *Not fresh: {which} the last stored data, up to {age} old*, because {escape(why)}. "
                "Billed nothing; stock and prices may have changed since."
            )
        )
    if answer.understood:
        blocks.append(context(f":speech_balloon: I read this as: *{escape(clip(answer.understood, 500))}*"))
    return blocks


def slack_date(moment: datetime) -> str:
    ts = int(moment.timestamp())
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{ts}^{{date_short_pretty}} at {{time}}|{fallback}>"


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


def stock_label(level: int) -> str:
    """A stock level as a buyer reads it: a count, or what Nexar's negative code means."""
    if level > 0:
        return f"{level:,}"
    return {
        0: "out of stock",
        NON_STOCKED: "non-stocked",
        STOCK_UNKNOWN: "in stock",
        UNKNOWN: "unknown",
        RFQ: "RFQ",
    }.get(level, "unknown")
