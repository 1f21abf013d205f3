"""The App Home tab."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.domain.outcomes import QuotaView
from bot.messages.blocks import SAMPLE_NOTE, Block, clip, context, divider, escape, header, plural, section, slack_date


def render_home(recent: Sequence[dict[str, Any]], quota: QuotaView | None, *, sample: bool) -> dict[str, Any]:
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
            at = float(entry.get("at", 0) or 0)
            when = f" · {slack_date(datetime.fromtimestamp(at, UTC))}" if at else ""
            if entry.get("bom"):
                name = escape(clip(str(entry["bom"]), 60))
                lines = int(entry.get("lines", 0) or 0)
                priced = int(entry.get("priced", 0) or 0)
                total = escape(str(entry.get("total", "")))
                blocks.append(context(f"*BOM {name}* — {priced:,} of {plural(lines, 'line')} priced, total {total}{when}"))
                continue
            mpn = escape(clip(str(entry.get("found") or entry.get("mpn", "?")), 40))
            qty = int(entry.get("qty", 1) or 1)
            price = entry.get("price")
            best = f"{escape(str(price))} each at {escape(str(entry.get('seller', '')))}" if price else "no priced offer"
            if not entry.get("found"):
                best = "not found"
            blocks.append(context(f"*{mpn}* × {qty:,} — {best}{when}"))
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
