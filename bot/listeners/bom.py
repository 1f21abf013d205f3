"""A CSV, TSV or XLSX BOM shared with a mention: download, price in batches, answer in the thread."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.bom import MAX_BOM_BYTES, Bom, BomError, bom_rows_csv, for_boards, read_bom
from bot.domain.bom.stashed import bom_to_json, options_to_json
from bot.domain.commands import Lookup
from bot.domain.models import Options
from bot.domain.outcomes import Answer
from bot.domain.parsing import parse_options, strip_mentions
from bot.domain.priced import price_rows, totals
from bot.domain.recent import RecentLookup
from bot.listeners.common import Deps, log, respond
from bot.messages.blocks import Message
from bot.messages.bom import (
    render_bom_error,
    render_bom_progress,
    render_bom_summary,
    render_nothing_read,
    render_outcome_problem,
    upload_comment,
)
from bot.messages.bom_offer import render_bom_offer
from bot.service.bom_budget import plan_bom, team_offer
from bot.service.quota import TeamBudget

BOM_FILETYPES = {"csv", "tsv", "xlsx"}
PROGRESS_EVERY = 1.0
BOM_OFFER_TTL = 86400
BOM_OFFER_PREFIX = "bom-offer:"


def resolve_file(client: WebClient, file: dict[str, Any]) -> dict[str, Any]:
    """The real file object for a Slack Connect stub (`file_access: check_file_info`, no
    name, type or URLs), from `files.info`; any other file as it is."""
    stub = file.get("file_access") == "check_file_info" or not (file.get("url_private_download") or file.get("url_private"))
    if not stub or not file.get("id"):
        return file
    try:
        info = client.files_info(file=str(file["id"])).get("file")
    except SlackApiError as exc:
        log.warning("files.info for a shared file failed: %s", exc.response.get("error"))
        return file
    return info if isinstance(info, dict) else file


def is_bom_file(file: dict[str, Any]) -> bool:
    return (file.get("filetype") or "").lower() in BOM_FILETYPES or str(file.get("name", "")).lower().endswith(
        (".csv", ".tsv", ".xlsx")
    )


def _download(deps: Deps, client: WebClient, file: dict[str, Any]) -> bytes | BomError:
    file = resolve_file(client, file)
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    host = urlparse(url).hostname or ""
    scheme = urlparse(url).scheme
    # The bot token travels with the request: HTTPS to Slack's file host only (plain HTTP for a loopback test host).
    if host not in deps.settings.slack_file_hosts or scheme != ("http" if host in ("127.0.0.1", "localhost") else "https"):
        log.warning("refusing to download a BOM from %r", host)
        return BomError("that file is not on Slack's file host, so I will not download it")
    if int(file.get("size") or 0) > MAX_BOM_BYTES:
        return BomError(
            f"that file is {int(file['size']) / 1_048_576:.1f} MB; partbot reads BOMs up to {MAX_BOM_BYTES // 1_048_576} MB"
        )
    return _fetch(url, client.token or "", float(deps.settings.bom_download_seconds))


def _fetch(url: str, token: str, deadline: float) -> bytes | BomError:
    """The file's bytes within `deadline` seconds overall: every read waits at most that
    long, and the download stops once the deadline has passed, so a host trickling bytes
    holds a job for at most twice the deadline."""
    headers = {"Authorization": f"Bearer {token}"}
    chunks: list[bytes] = []
    size = 0
    started = time.monotonic()
    too_slow = BomError(f"Slack's file host took longer than {deadline:g} s to send that file; please share it again")
    timeout = httpx.Timeout(min(20.0, deadline), connect=min(5.0, deadline))
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as http, http.stream("GET", url, headers=headers) as resp:
            if resp.status_code != 200:
                log.warning("BOM download answered HTTP %s", resp.status_code)
                return BomError("I could not download that file (does the app have the files:read scope?)")
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_BOM_BYTES:
                    return BomError(f"that file is over {MAX_BOM_BYTES // 1_048_576} MB; partbot reads BOMs up to that size")
                if time.monotonic() - started > deadline:
                    return too_slow
                chunks.append(chunk)
    except httpx.TimeoutException:
        log.warning("BOM download passed its %g s deadline", deadline)
        return too_slow
    except httpx.HTTPError as exc:
        log.warning("BOM download failed: %s", type(exc).__name__)
        return BomError("I could not download that file from Slack; please share it again")
    if time.monotonic() - started > deadline:
        return too_slow
    return b"".join(chunks)


@dataclass(frozen=True)
class Delivery:
    """Where a BOM's answer goes: `show` the progress and then the summary (or the problem),
    `upload` the priced CSV. `live`: progress is worth showing (an edited message, not a
    response_url, which takes five posts at most)."""

    show: Callable[[Message], None]
    upload: Callable[[bytes, str, str], None]
    """(content, file name, title)"""
    live: bool = True
    thread: tuple[str, str] | None = None
    """(channel, thread ts) of a thread the answer is public in: a BOM too big for the
    sharer's day may be offered a team-budget button there."""


def in_thread(
    deps: Deps, team: str, channel: str, thread_ts: str, name: str, show: Callable[[Message], None]
) -> Delivery:
    """An answer that `show`s itself in a message of the thread and uploads the CSV there."""
    client = deps.client_for(team)

    def upload(content: bytes, filename: str, title: str) -> None:
        try:
            client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts or None,
                content=content,
                filename=filename,
                title=title,
                initial_comment=upload_comment(name),
            )
        except Exception:
            log.exception("could not upload the priced BOM")
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts or None,
                text="I priced the BOM but could not upload the CSV (does the app have the files:write scope?).",
            )

    return Delivery(show, upload, thread=(channel, thread_ts))


def price_bom(deps: Deps, team: str, user: str, channel: str, thread_ts: str, file: dict[str, Any], text: str) -> None:
    """Answer in the thread: one message that shows progress and then the summary, plus the CSV."""
    client = deps.client_for(team)
    name = str(file.get("name") or "bom.csv")
    first = client.chat_postMessage(channel=channel, thread_ts=thread_ts or None, **render_bom_progress(name, 0, 0).to_dict())
    ts = first.get("ts") or ""

    def show(message: Message) -> None:
        client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    _price_safely(deps, in_thread(deps, team, channel, thread_ts, name, show), team, user, file, text, name)


def price_bom_privately(deps: Deps, team: str, user: str, response_url: str, file: dict[str, Any], text: str) -> None:
    """Answer the user alone through `response_url` (a message shortcut); the priced CSV goes
    to the user's DM with partbot, as a response_url cannot carry a file."""
    client = deps.client_for(team)
    name = str(file.get("name") or "bom.csv")

    def show(message: Message) -> None:
        respond(deps, response_url, **message.to_dict(), response_type="ephemeral", replace_original=False)

    def upload(content: bytes, filename: str, title: str) -> None:
        try:
            dm = client.conversations_open(users=user)["channel"]["id"]
            client.files_upload_v2(
                channel=dm, content=content, filename=filename, title=title, initial_comment=upload_comment(name)
            )
        except Exception:
            log.exception("could not send the priced BOM to the user's DM")
            show(Message("I priced the BOM but could not send you the CSV (does the app have the im:write scope?)."))

    show(render_bom_progress(name, 0, 0))
    _price_safely(deps, Delivery(show, upload, live=False), team, user, file, text, name)


def _price_safely(deps: Deps, to: Delivery, team: str, user: str, file: dict[str, Any], text: str, name: str) -> None:
    try:
        _price(deps, deps.client_for(team), to, team, user, file, text, name)
    except Exception:
        log.exception("pricing the BOM %s failed", name)
        to.show(render_bom_error(name, "something went wrong on partbot's side; the admin can find the details in partbot's log"))


def _price(
    deps: Deps,
    client: WebClient,
    to: Delivery,
    team: str,
    user: str,
    file: dict[str, Any],
    text: str,
    name: str,
) -> None:
    show = to.show
    data = _download(deps, client, file)
    read = read_bom(data) if isinstance(data, bytes) else data
    if isinstance(read, BomError):
        show(render_bom_error(name, read.message))
        return
    options: Options = parse_options(strip_mentions(text))
    bom = for_boards(read, options.boards)
    if not bom.lines:
        show(render_bom_error(name, render_nothing_read(bom)))
        return
    if to.thread and offer_team_budget(deps, show, team, user, *to.thread, bom, options, name):
        return
    price_and_deliver(deps, to, team, user, bom, options, name)


def offer_team_budget(
    deps: Deps,
    show: Callable[[Message], None],
    team: str,
    user: str,
    channel: str,
    thread_ts: str,
    bom: Bom,
    options: Options,
    name: str,
) -> bool:
    """When the BOM does not fit what the user has left today but fits the team budget,
    show the offer (the read lines kept in the stash for the button) instead of pricing."""
    items = [line.item for line in bom.lines]
    admin = user in deps.settings.admins
    needed_all = plan_bom(deps.service, items, options, len(items)).parts
    plan = plan_bom(deps.service, items, options, deps.settings.bom_max_parts)
    offer = team_offer(deps.service, team, user, plan, admin=admin, needed_all=needed_all)
    if offer is None:
        return False
    key = uuid.uuid4().hex
    covered = dataclasses.replace(bom, lines=tuple(bom.lines[i] for i in plan.lines))
    kept = {
        "owner": user,
        "channel": channel,
        "thread_ts": thread_ts,
        "name": name,
        "bom": bom_to_json(covered),
        "options": options_to_json(options),
        "left_out": [len(bom.lines) - len(plan.lines), plan.left_out, plan.distinct],
        "expires": time.time() + BOM_OFFER_TTL,
    }
    try:
        deps.store.stash(team, f"{BOM_OFFER_PREFIX}{key}", kept, BOM_OFFER_TTL)
    except Exception:
        log.exception("could not keep a BOM for the team-budget offer; pricing within the user's quota")
        return False
    show(render_bom_offer(offer, name, user, key))
    return True


def price_and_deliver(
    deps: Deps,
    to: Delivery,
    team: str,
    user: str,
    bom: Bom,
    options: Options,
    name: str,
    team_budget: TeamBudget | None = None,
) -> None:
    """Price the BOM's lines (from `team_budget` when given), show the summary and upload the CSV."""
    show = to.show
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if to.live and now - last[0] >= PROGRESS_EVERY and done < total:
            last[0] = now
            try:
                show(render_bom_progress(name, done, total))
            except Exception:
                log.warning("could not update the BOM progress message", exc_info=True)

    items = tuple(line.item for line in bom.lines)
    outcome = deps.service.lookup(team, user, Lookup(items, options), progress=progress, record=False, team_budget=team_budget)
    if not isinstance(outcome, Answer):
        show(render_outcome_problem(outcome, name))
        return
    summary = render_bom_summary(outcome, bom, name)
    show(summary)
    total, priced = totals(price_rows(outcome))
    deps.service.remember(team, user, RecentLookup(time.time(), bom=name, lines=len(items), priced=priced, total=total))
    to.upload(bom_rows_csv(outcome, bom), name.rsplit(".", 1)[0] + "-priced.csv", f"Priced BOM: {name}")
