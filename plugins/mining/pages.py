"""The mining plugin's portal pages: events, the live monitor, an event's page, payroll, payouts.

The web face of the same services `/mining …` calls, at the same levels (each `Page` says its
level as each command group does): a handler reads the form, calls the service, and renders or
redirects. Core has checked sign-in, membership, enablement, level and CSRF before a handler
runs, and turns a `UserError` into the refusal shown on the page (the service has left the
data as it was).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from aiohttp import web

from core import members
from core.errors import DiscordUnavailable, InvalidInput, NotFound
from core.permissions import Level
from core.web import discord_api
from core.web.pages import Page, PageRequest
from plugins.mining import (
    adjustments,
    attention,
    channels,
    events,
    expenses,
    payroll,
    report_pdf,
    yields,
)
from plugins.mining.models import EventStatus, PayoutStatus, PayrollMode
from plugins.mining.monitor import LiveView, live_view
from plugins.mining.participants import Participant
from plugins.mining.settings import MiningSettings
from plugins.mining.timeline import hms

EVENT = "events/{event_id:\\d+}"
ROW_ID_MAX = 2_147_483_647
LIST_LIMIT = 100


def _settings(req: PageRequest) -> MiningSettings:
    return req.plugin_settings()  # type: ignore[no-any-return]


def _row_id(text: str, what: str) -> int:
    """A row id from the path or a form: 1 to 2,147,483,647, else not found / refused."""
    text = (text or "").strip()
    if not text.isdigit() or len(text) > 10 or not 1 <= int(text) <= ROW_ID_MAX:
        raise InvalidInput(f"{what} {text!r} is not a number from 1 to {ROW_ID_MAX:,}.")
    return int(text)


def _event_id(req: PageRequest) -> int:
    try:
        return _row_id(req.match["event_id"], "Event")
    except InvalidInput:
        raise NotFound(f"There is no mining event #{req.match['event_id']} here.") from None


def _member_id(text: str) -> int:
    text = (text or "").strip()
    if not text.isdigit() or len(text) > 20 or not 1 <= int(text) < 2**63:
        raise InvalidInput("Choose a member from the list.")
    return int(text)


def _date(text: str | None, what: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not a date: use YYYY-MM-DD.") from None


def _mode(text: str | None) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    if text not in {m.value for m in PayrollMode}:
        raise InvalidInput(f"Unknown payroll mode {text!r}: use time or equal.")
    return text


def _event_url(event_id: int, rest: str = "") -> str:
    return f"events/{event_id}" + (f"/{rest}" if rest else "")


# -- events ------------------------------------------------------------------------------------


async def events_page(req: PageRequest) -> web.StreamResponse:
    """Events, newest first, filtered by status and date; officers plan one here."""
    status_text = (req.query.get("status") or "").strip()
    if status_text and status_text not in {s.value for s in EventStatus}:
        known = ", ".join(s.value for s in EventStatus)
        raise InvalidInput(f"Unknown status {status_text!r}: use one of {known}.")
    since = _date(req.query.get("since"), "From")
    until = _date(req.query.get("until"), "To")
    found = await events.list_events(
        req.guild_id,
        status=EventStatus(status_text) if status_text else None,
        since=since,
        until=until,
        limit=LIST_LIMIT,
    )
    return req.render(
        "mining/events.html",
        events=found,
        statuses=[s.value for s in EventStatus],
        chosen=status_text,
        since=since.isoformat() if since else "",
        until=until.isoformat() if until else "",
        default_name=_settings(req).default_event_name,
        limit=LIST_LIMIT,
    )


async def create_event(req: PageRequest) -> web.StreamResponse:
    form = await req.form()
    now = req.now()
    event = await events.create_event(
        req.guild_id,
        at=now,
        name=form.get("name"),
        when=events.parse_when(form.get("when"), now=now),
        description=form.get("description"),
        created_by=req.user_id,
        default_name=_settings(req).default_event_name,
    )
    req.flash(f"Planned {events.label(event)}.")
    return req.redirect(_event_url(event.id))


async def start_event(req: PageRequest) -> web.StreamResponse:
    started, _ = await events.start_event(
        req.guild_id,
        _event_id(req),
        at=req.now(),
        allow_concurrent=_settings(req).allow_concurrent_events,
    )
    req.flash(f"{events.label(started)} has started.")
    return req.redirect(_event_url(started.id, "live"))


async def stop_event(req: PageRequest) -> web.StreamResponse:
    stopped, _ = await events.stop_event(
        req.guild_id,
        _event_id(req),
        at=req.now(),
        min_session_seconds=_settings(req).min_session_seconds,
    )
    assert stopped.started_at is not None and stopped.ended_at is not None
    lasted = hms(int((stopped.ended_at - stopped.started_at).total_seconds()))
    req.flash(
        f"{events.label(stopped)} is over after {lasted} with "
        f"{stopped.total_participants} participant(s)."
    )
    return req.redirect(_event_url(stopped.id))


async def cancel_event(req: PageRequest) -> web.StreamResponse:
    cancelled = await events.cancel_event(
        req.guild_id,
        _event_id(req),
        at=req.now(),
        min_session_seconds=_settings(req).min_session_seconds,
    )
    req.flash(f"{events.label(cancelled)} is cancelled.")
    return req.redirect(_event_url(cancelled.id))


# -- one event -------------------------------------------------------------------------------


async def event_page(req: PageRequest) -> web.StreamResponse:
    """Participants and times, yields, expenses, times set by hand, payouts once committed."""
    settings = _settings(req)
    view = await events.show_event(
        req.guild_id,
        _event_id(req),
        now=req.now(),
        min_session_seconds=settings.min_session_seconds,
    )
    event = view.event
    officer = req.level >= Level.OFFICER
    # an officer may still add and remove yields and expenses, and set times (forms that pick
    # a member): until payroll is committed
    editable = (
        officer
        and event.status in (EventStatus.ACTIVE, EventStatus.COMPLETED)
        and not event.payroll_processed
    )
    paid = await payroll.payouts(req.guild_id, event.id) if event.payroll_processed else []
    return req.render(
        "mining/event.html",
        event=event,
        label=events.label(event),
        rows=_with_payouts(view.participants, paid),
        yields=await yields.list_yields(req.guild_id, event.id),
        expenses=await expenses.list_expenses(req.guild_id, event.id) if officer else [],
        changes=await adjustments.adjustments(req.guild_id, event.id) if officer else [],
        owed=any(p.status == PayoutStatus.OWED for p in paid),
        members=await members.member_names(req.guild_id) if editable else [],
        editable=editable,
        kinds=expenses.KINDS,
        EventStatus=EventStatus,
    )


def _with_payouts(
    people: Sequence[Participant], paid: Sequence[payroll.PayoutLine]
) -> list[tuple[Participant | None, payroll.PayoutLine | None]]:
    """Each participant with their payout (None before payroll, or below the time that
    qualifies), then whoever was paid without time (repaid for an expense only)."""
    by_user = {p.user_id: p for p in paid}
    rows: list[tuple[Participant | None, payroll.PayoutLine | None]] = [
        (person, by_user.pop(person.user_id, None)) for person in people
    ]
    return rows + [(None, p) for p in by_user.values()]


async def set_time(req: PageRequest) -> web.StreamResponse:
    event_id = _event_id(req)
    form = await req.form()
    changed = await adjustments.set_time(
        req.guild_id,
        event_id,
        _member_id(form.get("member", "")),
        minutes=form.get("minutes", ""),
        reason=form.get("reason", ""),
        actor_id=req.user_id,
        at=req.now(),
        min_session_seconds=_settings(req).min_session_seconds,
    )
    req.flash(
        f"{changed.name}'s time is now {hms(changed.seconds)} "
        f"(the bot counted {hms(changed.counted_seconds)})."
    )
    return req.redirect(_event_url(event_id))


async def add_yield(req: PageRequest) -> web.StreamResponse:
    event_id = _event_id(req)
    form = await req.form()
    member = (form.get("member") or "").strip()
    batch = await yields.add_yields(
        req.guild_id,
        event_id,
        [
            yields.YieldInput(
                form.get("material", ""),
                form.get("scu", ""),
                _member_id(member) if member else None,
                form.get("price") or None,
                form.get("value") or None,
            )
        ],
        recorded_by=req.user_id,
        max_scu=_settings(req).max_scu_per_yield,
    )
    line = batch.lines[0]
    req.flash(f"Recorded {line.scu:,.2f} SCU of {line.material} (line #{line.id}).")
    return req.redirect(_event_url(event_id))


async def import_yields(req: PageRequest) -> web.StreamResponse:
    """A CSV or JSON file of yields, read by the loader `/mining yield import` uses."""
    event_id = _event_id(req)
    posted = await req.request.post()
    upload = posted.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        raise InvalidInput("Choose a CSV or JSON file of yields to upload.")
    data = upload.file.read(yields.MAX_FILE_BYTES + 1)
    items = yields.parse_yield_file(upload.filename, data)
    batch = await yields.add_yields(
        req.guild_id,
        event_id,
        items,
        recorded_by=req.user_id,
        max_scu=_settings(req).max_scu_per_yield,
    )
    req.flash(f"Recorded {len(batch.lines)} yield line(s) from {upload.filename}.")
    return req.redirect(_event_url(event_id))


async def remove_yield(req: PageRequest) -> web.StreamResponse:
    event_id = _event_id(req)
    line = _row_id(req.match["line"], "Yield line")
    await yields.remove_yield(req.guild_id, event_id, line)
    req.flash(f"Removed yield line #{line}.")
    return req.redirect(_event_url(event_id))


async def add_expense(req: PageRequest) -> web.StreamResponse:
    event_id = _event_id(req)
    form = await req.form()
    expense = await expenses.add_expense(
        req.guild_id,
        event_id,
        amount=form.get("amount", ""),
        paid_by=_member_id(form.get("paid_by", "")),
        kind=form.get("kind") or "other",
        description=form.get("description", ""),
        recorded_by=req.user_id,
    )
    req.flash(f"Recorded {expense.kind} expense #{expense.id}.")
    return req.redirect(_event_url(event_id))


async def remove_expense(req: PageRequest) -> web.StreamResponse:
    event_id = _event_id(req)
    expense = _row_id(req.match["expense"], "Expense")
    await expenses.remove_expense(req.guild_id, event_id, expense)
    req.flash(f"Removed expense #{expense}.")
    return req.redirect(_event_url(event_id))


async def donate(req: PageRequest) -> web.StreamResponse:
    event_id = _event_id(req)
    form = await req.form()
    give = form.get("give", "yes") != "no"
    await payroll.set_donation(req.guild_id, event_id, req.user_id, give)
    req.flash(
        "Thank you: your share goes to the other participants."
        if give
        else "You will get your share after all."
    )
    return req.redirect(_event_url(event_id))


async def event_pdf(req: PageRequest) -> web.StreamResponse:
    """The event's PDF report (the one `/mining report event` attaches)."""
    event = await events.get_event(req.guild_id, _event_id(req))
    data = await report_pdf.event_pdf(
        req.guild_id, event.id, settings=_settings(req), now=req.now()
    )
    return web.Response(
        body=data,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report_pdf.file_name(event)}"'},
    )


# -- the live monitor ------------------------------------------------------------------------


async def _live(req: PageRequest) -> LiveView:
    return await live_view(
        req.guild_id,
        _event_id(req),
        now=req.now(),
        min_session_seconds=_settings(req).min_session_seconds,
    )


async def live_page(req: PageRequest) -> web.StreamResponse:
    """Who is in which channel now; `static/live.js` refreshes it from `live.json`."""
    view = await _live(req)
    return req.render(
        "mining/live.html", view=view, event=view.event, label=events.label(view.event)
    )


def live_json(view: LiveView) -> dict[str, Any]:
    """The monitor's data for the script: plain text only (the script sets textContent).

    A member in a channel shows the same time as in the participants' list: written once
    per member (the monitor polls every two seconds, with 200 members in an op)."""
    times = {p.user_id: hms(p.seconds) for p in view.participants}
    return {
        "event_id": view.event.id,
        "status": str(view.event.status),
        "live": view.live,
        "at": view.at.isoformat(),
        "in_voice": view.in_voice,
        "channels": [
            {
                "id": str(c.channel_id),
                "name": c.name,
                "members": [
                    {
                        "id": str(m.user_id),
                        "name": m.name,
                        "since": m.since.isoformat(),
                        "time": times.get(m.user_id) or hms(m.seconds),
                    }
                    for m in c.members
                ],
            }
            for c in view.channels
        ],
        "participants": [
            {
                "id": str(p.user_id),
                "name": p.name,
                "seconds": p.seconds,
                "time": times[p.user_id],
                "in_channel": p.in_channel,
            }
            for p in view.participants
        ],
    }


async def live_data(req: PageRequest) -> web.StreamResponse:
    return web.json_response(live_json(await _live(req)), headers={"Cache-Control": "no-store"})


# -- payroll ---------------------------------------------------------------------------------


async def payroll_page(req: PageRequest) -> web.StreamResponse:
    """The preview with its waterfall; a committed payroll shows what was paid."""
    event_id = _event_id(req)
    mode = _mode(req.query.get("mode"))
    result = await payroll.preview(
        req.guild_id, event_id, settings=_settings(req), now=req.now(), mode=mode
    )
    event = await events.get_event(req.guild_id, event_id)
    return req.render(
        "mining/payroll.html",
        event=event,
        label=events.label(event),
        payroll=result,
        mode=result.mode.value,
        modes=[m.value for m in PayrollMode],
        confirming=False,
    )


async def payroll_confirm(req: PageRequest) -> web.StreamResponse:
    """The confirmation step: what the commit would pay, refused as the commit would be."""
    event_id = _event_id(req)
    mode = _mode(req.query.get("mode"))
    result = await payroll.commit_preview(
        req.guild_id, event_id, settings=_settings(req), now=req.now(), mode=mode
    )
    event = await events.get_event(req.guild_id, event_id)
    return req.render(
        "mining/payroll.html",
        event=event,
        label=events.label(event),
        payroll=result,
        mode=result.mode.value,
        modes=[m.value for m in PayrollMode],
        confirming=True,
    )


async def payroll_commit(req: PageRequest) -> web.StreamResponse:
    event_id = _event_id(req)
    form = await req.form()
    result = await payroll.commit(
        req.guild_id,
        event_id,
        settings=_settings(req),
        at=req.now(),
        actor_id=req.user_id,
        mode=_mode(form.get("mode")),
    )
    req.flash(
        f"Payroll of event #{event_id} committed: {len([s for s in result.shares if s.amount])} "
        "payout(s) owed."
    )
    return req.redirect(_event_url(event_id))


async def mark_paid(req: PageRequest) -> web.StreamResponse:
    event_id = _event_id(req)
    form = await req.form()
    member = (form.get("member") or "").strip()
    paid = await payroll.mark_paid(
        req.guild_id,
        event_id,
        user_id=_member_id(member) if member else None,
        at=req.now(),
        actor_id=req.user_id,
    )
    names = ", ".join(p.name for p in paid)
    req.flash(f"Marked {len(paid)} payout(s) paid: {names}.")
    return req.redirect(_event_url(event_id))


# -- channels and a member's own payouts ----------------------------------------------------


async def channels_page(req: PageRequest) -> web.StreamResponse:
    """The approved channels; for an officer also the server's other voice channels to
    approve, as Discord lists them now (or why it could not)."""
    approved = await channels.list_channels(req.guild_id)
    candidates: dict[int, str] = {}
    unavailable = None
    if req.level >= Level.OFFICER:
        try:
            voice = await discord_api.voice_channels(req.portal.settings, req.guild_id)
        except DiscordUnavailable as exc:
            unavailable = exc.message
        else:
            counted = {c.channel_id for c in approved if c.is_active}
            candidates = {
                cid: name
                for cid, name in voice.names.items()
                if cid not in counted and cid != voice.afk_channel_id
            }
    return req.render(
        "mining/channels.html",
        channels=approved,
        candidates=candidates,
        unavailable=unavailable,
    )


async def approve_channel(req: PageRequest) -> web.StreamResponse:
    """`/mining channel add` from the portal: the same service, fed what Discord says now."""
    form = await req.form()
    channel_id = _member_id(form.get("channel", ""))  # a snowflake, like a member id
    voice = await discord_api.voice_channels(req.portal.settings, req.guild_id)
    channel, new = await channels.add_channel(
        req.guild_id,
        channel_id,
        voice.names.get(channel_id, ""),
        voice_channel_ids=voice.names.keys(),
        afk_channel_id=voice.afk_channel_id,
    )
    state = "now counts" if new else "already counted"
    req.flash(f"{channel.channel_name} {state} as a mining channel.")
    return req.redirect("channels")


async def remove_channel(req: PageRequest) -> web.StreamResponse:
    form = await req.form()
    channel_id = _member_id(form.get("channel", ""))  # a snowflake, like a member id
    closed = await channels.remove_channel(req.guild_id, channel_id, at=req.now())
    note = f" ({closed} open session(s) closed)" if closed else ""
    req.flash(f"That channel no longer counts as a mining channel{note}.")
    return req.redirect("channels")


async def my_payouts(req: PageRequest) -> web.StreamResponse:
    found = await payroll.member_payouts(req.guild_id, req.user_id, limit=LIST_LIMIT)
    return req.render("mining/payouts.html", payouts=found)


async def attention_items(guild_id: int, level: Level) -> list[attention.Item]:
    """What the guild home lists for someone at `level`."""
    return [item for item in await attention.items(guild_id) if level >= item.level]


def pages() -> list[Page]:
    """Every mining page, at the level of the slash command that does the same."""
    officer, treasurer = Level.OFFICER, Level.TREASURER
    post = "POST"
    return [
        Page("", events_page, title="Mining events"),
        Page("events", create_event, method=post, level=officer),
        Page(EVENT, event_page),
        Page(f"{EVENT}/start", start_event, method=post, level=officer),
        Page(f"{EVENT}/stop", stop_event, method=post, level=officer),
        Page(f"{EVENT}/cancel", cancel_event, method=post, level=officer),
        Page(f"{EVENT}/live", live_page),
        Page(f"{EVENT}/live.json", live_data),
        Page(f"{EVENT}/time", set_time, method=post, level=officer),
        Page(f"{EVENT}/yields", add_yield, method=post, level=officer),
        Page(f"{EVENT}/yields/import", import_yields, method=post, level=officer),
        Page(f"{EVENT}/yields/{{line:\\d+}}/remove", remove_yield, method=post, level=officer),
        Page(f"{EVENT}/expenses", add_expense, method=post, level=officer),
        Page(
            f"{EVENT}/expenses/{{expense:\\d+}}/remove",
            remove_expense,
            method=post,
            level=officer,
        ),
        Page(f"{EVENT}/donate", donate, method=post),
        Page(f"{EVENT}/report.pdf", event_pdf, level=officer),
        Page(f"{EVENT}/payroll", payroll_page, level=treasurer),
        Page(f"{EVENT}/payroll/confirm", payroll_confirm, level=treasurer),
        Page(f"{EVENT}/payroll/commit", payroll_commit, method=post, level=treasurer),
        Page(f"{EVENT}/payouts/paid", mark_paid, method=post, level=treasurer),
        Page("channels", channels_page, title="Mining channels"),
        Page("channels", approve_channel, method=post, level=officer),
        Page("channels/remove", remove_channel, method=post, level=officer),
        Page("payouts", my_payouts, title="My mining payouts"),
    ]
