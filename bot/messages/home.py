"""The App Home tab."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.domain.outcomes import QuotaView
from bot.domain.recent import RecentLookup
from bot.messages.blocks import SAMPLE_NOTE, Block, clip, context, divider, escape, header, link, plural, section, slack_date
from bot.messages.replies import SENT_TO_NEXAR


def kept(cache_ttl: int) -> str:
    """What partbot keeps, where and for how long (README, "What partbot keeps")."""
    cached = plural(cache_ttl // 3600, "hour") if cache_ttl >= 3600 else plural(cache_ttl // 60, "minute")
    return (
        "*What partbot keeps, and where* (its own database, SQLite or Redis, run by whoever installed it): "
        f"Nexar's answer for each part number (shared by every workspace, for {cached}); "
        "each person's last 10 lookups (90 days at most); matched-part counts for the quotas "
        "(about 40 days); answers waiting for their Share button (a day); and this workspace's installation "
        "and bot token (until partbot is uninstalled, which deletes all of the workspace's records)."
    )


def render_home(
    recent: Sequence[RecentLookup],
    quota: QuotaView | None,
    *,
    sample: bool,
    support_url: str | None = None,
    cache_ttl: int = 21600,
) -> dict[str, Any]:
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
            when = f" · {slack_date(datetime.fromtimestamp(entry.at, UTC))}" if entry.at else ""
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
            "or share a CSV BOM with a mention to price it all. _Price these parts_ (⋮ on any message) "
            "prices a message for you alone, and you can ask me here in Messages."
        )
    )
    blocks.append(divider())
    blocks.append(section(f"*What leaves Slack:* {SENT_TO_NEXAR}"))
    blocks.append(context(kept(cache_ttl)))
    if support_url:
        blocks.append(context(f"Questions or problems: {link(support_url, 'partbot support')}"))
    return {"type": "home", "blocks": blocks[:100]}
