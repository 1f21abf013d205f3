"""Watch messages: made, refused, listed, removed, and the alert itself. Formats only."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.outcomes import Answer, OverQuota
from bot.domain.watch_outcomes import Unwatched, WatchBudget, WatchCreated, WatchList, WatchOffer, WatchRefused
from bot.domain.watches import Hit, Watch
from bot.messages.blocks import Block, Message, clip, context, escape, header, link, plural, section, slack_date, stock_label

STOP_WATCH_ACTION = "stop_watch"
START_WATCH_ACTION = "start_watch"
CANCEL_WATCH_ACTION = "cancel_watch"


def _when(ts: float | None) -> str:
    return "—" if ts is None else slack_date(datetime.fromtimestamp(ts, UTC))


def _plain_when(ts: float | None) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _what(w: Watch) -> str:
    mfr = f" ({escape(w.mfr)})" if w.mfr else ""
    return f"*{escape(w.mpn)}*{mfr} × {w.condition()}"


def _every(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} days"


def budget_line(b: WatchBudget) -> str:
    """The watch budget, and what it does to the checks (also shown by `usage`)."""
    spent = f"Watches spent {b.spent:,} of {b.limit:,} matched parts this month"
    if b.paused:
        why = "the watch budget is spent" if b.spent >= b.limit else "the team budget is spent"
        return (
            f":double_vertical_bar: *Watches are paused*: {why}. {spent}. Checks resume {_when(b.resets)}; "
            "lookups of watched parts still update them, for free."
        )
    assert b.period is not None
    line = f"{spent}; {plural(b.parts, 'watched part')}, each checked every {_every(b.period)}"
    if b.stretched:
        line += f" (stretched from {_every(b.every)} so the month's checks fit the {b.limit:,} left)"
    return line + ". A lookup of a watched part by anyone checks it for free."


def _right_now(o: WatchOffer) -> str:
    if o.hit is not None:
        return (
            f":rotating_light: *It already holds:* {_hit_text(o.hit, o.watch)}. "
            "Once started, I alert only after it stops holding and comes back."
        )
    if isinstance(o.answer, Answer) and o.watch.holding is False:
        return "Right now it does not hold; I will alert when it does."
    if isinstance(o.answer, OverQuota):
        return "I could not check it now (your quota is used up); the first check would be the scheduled one."
    return "I could not check it just now; the first check would be the scheduled one."


def _cost_lines(o: WatchOffer) -> list[str]:
    b = o.budget
    lines = ["*What it will cost:*", "• Each check: 1 matched part from the team's watch budget, never your daily quota."]
    if b.period is None:
        lines.append(f"• No checks until {_when(b.resets)}: the watch budget is spent, so watches are paused.")
    else:
        lines.append(f"• About {plural(o.monthly_checks, 'check')} a month at the current period (one every {_every(b.period)}).")
    if o.sharing:
        lines.append(
            f"• Shared with {plural(o.sharing, 'other watch')} of this part: one check serves them all, so this watch adds none."
        )
    return lines


def render_offer(o: WatchOffer, value: str) -> Message:
    """The watch with what it will cost, and the buttons that start it or drop it."""
    w = o.watch
    lines = [f":eyes: Watch {_what(w)}?", _right_now(o)]
    if o.place_note:
        lines.append(f":warning: {escape(o.place_note)} Alerts would come to you by DM.")
    blocks: list[Block] = [section("\n".join(lines)), section("\n".join(_cost_lines(o))), context(budget_line(o.budget))]
    if isinstance(o.answer, Answer):
        blocks.append(context(f"Checking it now cost you {plural(o.answer.cost, 'matched part')} (cached answers are free)."))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                _button("Start watching", START_WATCH_ACTION, value, "primary"),
                _button("Cancel", CANCEL_WATCH_ACTION, value),
            ],
        }
    )
    blocks.append(context("Nothing is saved until you press *Start watching*; this offer lasts a day."))
    text = f"Watch {w.mpn} × {w.condition()}? Each check costs the team 1 matched part."
    if o.budget.period is not None:
        text += f" About {plural(o.monthly_checks, 'check')} a month."
    text += " It already holds." if o.hit else ""
    return Message(escape(text), blocks)


def _button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def render_created(c: WatchCreated) -> Message:
    w = c.watch
    lines = [f":white_check_mark: Watching {_what(w)} · ID `{w.id}`"]
    if w.holding:
        lines.append("It holds right now (as the offer said); I alert after it stops holding and comes back.")
    elif w.holding is False:
        lines.append("Right now it does not hold; I will alert when it does.")
    lines.append(f"Next check {'paused until ' + _when(c.budget.resets) if c.next_check is None else _when(c.next_check)}.")
    if c.place_note:
        lines.append(f":warning: {escape(c.place_note)} Alerts will come to you by DM.")
    where = "here" if not w.by_dm else "by DM"
    lines.append(f"Alerts go {where}, mentioning you. Remove it with `/part unwatch {w.id}`.")
    blocks: list[Block] = [section("\n".join(lines)), context(budget_line(c.budget))]
    nxt = _plain_when(c.next_check) if c.next_check is not None else "paused"
    text = f"Watching {w.mpn} × {w.condition()} (ID {w.id}); next check {nxt}. Remove it with /part unwatch {w.id}."
    return Message(escape(text), blocks)


def render_cancelled(w: Watch) -> Message:
    text = f"Cancelled: not watching {w.mpn} × {w.condition()}. Nothing was saved."
    return Message(escape(text), [section(":heavy_multiplication_x: " + escape(text))])


def render_refused(r: WatchRefused) -> Message:
    text = f"Sorry, I cannot add that watch: {r.problem}. {r.hint}".strip()
    return Message(escape(text), [section(f":no_entry: I cannot add that watch: {escape(r.problem)}.\n{escape(r.hint)}")])


def render_list(lst: WatchList) -> Message:
    blocks: list[Block] = [header("Your watches")]
    if not lst.watches:
        blocks.append(
            section("You have no watches. Add one: `/part watch LM358 x1000 below 0.20` or `/part watch LM358 x1000 stock`.")
        )
    for w in lst.watches[:20]:
        state = {None: "not checked yet", True: ":rotating_light: holds", False: "does not hold"}[w.holding]
        if w.pending is not None:
            state += " (alert waiting to be posted)"
        nxt = lst.next_checks.get(w.part_key)
        lines = [
            f"`{w.id}` {_what(w)} — {state}",
            f"last checked {_when(w.last_checked)} · next check {'paused' if nxt is None else _when(max(nxt, lst.now))}"
            + (" · alerts by DM" if w.by_dm else ""),
        ]
        if w.problem:
            lines.append(f"_last check failed: {escape(clip(w.problem, 200))}; trying again_")
        blocks.append(section("\n".join(lines)))
    blocks.append(context(budget_line(lst.budget)))
    text = f"You have {plural(len(lst.watches), 'watch')}. " + "; ".join(
        f"{w.id} {w.mpn} × {w.condition()}, next check {_plain_when(lst.next_checks.get(w.part_key))}" for w in lst.watches
    )
    if lst.budget.paused:
        text += ". Watches are paused: the budget is spent."
    return Message(escape(clip(text, 3000)), blocks)


def render_unwatched(u: Unwatched) -> Message:
    if not u.removed:
        text = f"You have no watch `{u.target}` (an ID or a part number); `/part watches` lists yours."
        return Message(escape(text), [section(escape(text))])
    names = ", ".join(f"`{w.id}` {w.mpn}" for w in u.removed)
    text = f"Stopped watching: {names}."
    return Message(escape(text), [section(":wave: " + escape(text))])


def _hit_text(hit: Hit, w: Watch) -> str:
    seller = link(hit.url, escape(hit.seller)) if hit.url else escape(hit.seller)
    qty = f"{hit.bought:,}" if hit.bought else f"{w.quantity:,}"
    return f"{seller} has {stock_label(hit.stock)} in stock, {hit.price_text()} for {qty}"


def render_alert(w: Watch, hit: Hit) -> Message:
    lines = [
        f":rotating_light: <@{w.user}> your watch `{w.id}` holds: {_what(w)}",
        _hit_text(hit, w) + ".",
    ]
    blocks: list[Block] = [
        section("\n".join(lines)),
        context(f"Data: Nexar/Octopart, fetched {_when(hit.fetched_at)}. I alert again only after it stops holding."),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Stop watching"},
                    "action_id": STOP_WATCH_ACTION,
                    "value": w.id,
                }
            ],
        },
    ]
    price = hit.price_text()
    text = f"Watch {w.id}: {w.mpn} — {hit.seller} has {stock_label(hit.stock)} in stock, {price}."
    return Message(f"<@{w.user}> " + escape(text), blocks)
