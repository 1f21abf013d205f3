"""Replies that are not a part answer: help, could-not-read, over quota, failed, usage."""

from __future__ import annotations

from bot.domain.commands import Invalid
from bot.domain.outcomes import Failed, OverQuota, QuotaView
from bot.messages.blocks import (
    MAX_FIELD,
    MAX_TEXT,
    Message,
    clip,
    context,
    escape,
    header,
    link,
    plural,
    section,
    slack_date,
)

SENT_TO_NEXAR = (
    "Only part numbers (typed, or read from a BOM's lines), with a manufacturer, currency and country "
    "when given, are sent to Nexar (Octopart); never your name, your messages or anything else from Slack."
)


def render_help(command: str = "/part", *, support_url: str | None = None) -> Message:
    examples = "\n".join(
        f"• `{command} {ex}` — {what}"
        for ex, what in (
            ("AD7685ARM", "sellers, stock and price breaks"),
            ("AD7685ARM x250", "priced for 250 pieces (also `250`, `qty=250`, `x2.5k`)"),
            ("LM358 x100, NE555 x50", "several parts at once (up to 20)"),
            ("AD7685ARM --all", "include non-authorized sellers and brokers"),
            ("AD7685ARM x100 --currency EUR --country DE", "prices in euros, for Germany"),
            ("AD7685ARM --public", "answer in the channel instead of privately"),
            ("MAX232CPE --alternates", "also the best 3 similar parts (every part Nexar lists costs one)"),
            ("watch AD7685ARM x1000 below 4.50", "alert me here when it can be bought at that price (or `stock`)"),
            ("watches", "your watches; `unwatch ID` removes one"),
            ("usage", "your matched-part quota and the team's"),
        )
    )
    blocks = [
        header("partbot — part prices from Octopart"),
        section(f"*Ask about any part:*\n{examples}"),
        section(
            "*In a thread*, mention me: `@partbot AD7685ARM x250`, or in plain English: "
            "_@partbot what would 500 pcs of NE555DR cost us?_\n"
            "*A whole BOM*: share a CSV with MPN and quantity columns in a message that mentions @partbot.\n"
            "*Any message*: choose _Price these parts_ in its ⋮ menu to price it for you alone. "
            "Links to Octopart, Digi-Key and Mouser part pages show the part; you can also DM me."
        ),
        context(
            "Answers are private unless you add `--public`. Lookups cost matched parts from the team's Nexar plan; repeated questions are answered from the cache for free."
        ),
        context(SENT_TO_NEXAR),
    ]
    if support_url:
        blocks.append(context(f"Questions or problems: {link(support_url, 'partbot support')}"))
    return Message(f"Usage: {command} MPN [xQTY] [--all] [--currency EUR] [--country DE] [--public]", blocks)


def render_invalid(invalid: Invalid) -> Message:
    text = f"Sorry, I could not read that: {invalid.problem}. {invalid.hint}"
    return Message(
        escape(clip(text, MAX_TEXT)),
        [
            section(
                f":warning: I could not read that: {escape(clip(invalid.problem, 1000))}.\n{escape(clip(invalid.hint, 1000))}"
            ),
            context("Nothing was looked up and nothing was billed. `/part help` shows examples."),
        ],
    )


def render_over_quota(over: OverQuota) -> Message:
    r = over.refusal
    who = {
        "user": "You have",
        "bom": "Your BOMs have",
        "plan": "partbot's Nexar plan (shared by every workspace) has",
    }.get(r.scope, "The team has")
    period = "today" if r.scope == "user" else "of the team budget this month" if r.scope == "bom" else "this month"
    lines = [
        f":no_entry: *{who} {plural(r.left, 'matched part')} left {period}*; "
        f"this needs {plural(r.needed, 'more matched part')} that are not in the cache.",
    ]
    if len(over.items) > 1:
        lines.append(f"{plural(over.fits, 'line')} of {len(over.items)} would fit; split the list or ask an admin.")
    lines.append(f"The quota resets {slack_date(r.resets)}. Answers already in the cache stay free.")
    text = f"{who} {r.left} matched parts left {period}; this needs {r.needed}. Resets {r.resets:%Y-%m-%d %H:%M} UTC. Nothing was billed."
    return Message(text, [section("\n".join(lines)), context("Nothing was sent to Nexar and nothing was billed.")])


def render_failed(failed: Failed) -> Message:
    asked = ", ".join(i.mpn for i in failed.items[:5])
    lines = [f":warning: {escape(failed.message)}"]
    if asked:
        lines.append(f"_Asked: {escape(clip(asked, 200))}_")
    return Message(
        escape(clip(f"Sorry — {failed.message}", MAX_TEXT)),
        [section("\n".join(lines)), context("No matched parts were billed for this.")],
    )


def render_error() -> Message:
    text = "Sorry, something went wrong on partbot's side. Please try again; the admin can find the details in partbot's log."
    return Message(text, [section(f":warning: {text}")])


def render_usage(
    quota: QuotaView | None,
    *,
    sample: bool,
    top: tuple[list[tuple[str, int]], list[tuple[str, int]]] | None = None,
    plan: tuple[int, int] | None = None,
) -> Message:
    """`top` and `plan` (the Nexar plan's month across all workspaces: spent, cap) for admins."""
    if quota is None:
        return render_failed(Failed("partbot cannot read its quota ledger right now."))
    lines = [
        f"*You today:* {quota.user_spent:,} of {quota.user_limit:,} matched parts used · {quota.user_left:,} left · resets {slack_date(quota.user_resets)}",
        f"*Team this month:* {quota.team_spent:,} of {quota.team_limit:,} used · {quota.team_left:,} left · resets {slack_date(quota.team_resets)}",
    ]
    if quota.watch_limit:
        paused = " · *paused* until the budget resets" if not min(quota.watch_left, quota.team_left) else ""
        lines.append(
            f"*Watches this month:* {quota.watch_spent:,} of {quota.watch_limit:,} matched parts used{paused} (`/part watches`)"
        )
    if plan is not None:
        spent, cap = plan
        lines.append(f"*Nexar plan this month, all workspaces:* {spent:,} of {cap:,} used · {max(cap - spent, 0):,} left")
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
