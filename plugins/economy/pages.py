"""The economy plugin's portal pages: balances, the ledger, statements, the finance report,
prices and trades.

The web face of the same services `/balance`, `/bank`, `/report`, `/price` and `/trade` call, at
the same levels (each `Page` says the level of the command that does the same): a handler reads
the query or form, calls the service, and renders or redirects. Core has checked sign-in,
membership, enablement, level and CSRF before a handler runs, and turns a `UserError` into the
refusal shown on the page (the service has left the data as it was).
"""

from __future__ import annotations

from aiohttp import web

from core.errors import InvalidInput, NotFound
from core.models import Guild, User
from core.permissions import Level
from core.web.pages import Page, PageRequest
from plugins.economy import ledger, reports
from plugins.economy.charts import flow_chart, price_chart, treasury_chart
from plugins.economy.ledger import TREASURY, AccountKind, TxKind
from plugins.economy.ledger_view import (
    LedgerFilter,
    day_bounds,
    ledger_page,
    parse_account,
    parse_kind,
    parse_page,
)
from plugins.economy.materials import find_material, material_index
from plugins.economy.models import Material
from plugins.economy.prices import price_history, prices_now
from plugins.economy.report_files import file_stem, period_label, to_csv, to_pdf
from plugins.economy.statements import (
    PERIODS,
    member_position,
    member_positions,
    period_window,
    statement,
)
from plugins.economy.trades import Side, recent_trades, record_trade

SNOWFLAKE_MAX = 2**63 - 1
TRADES_SHOWN = 100
PERIOD_NAMES = [*PERIODS, "all"]


def _snowflake(text: str | None, what: str) -> int:
    text = (text or "").strip()
    if not text.isdigit() or len(text) > 19 or not 1 <= int(text) <= SNOWFLAKE_MAX:
        raise InvalidInput(f"{what} {text!r} is not a Discord id")
    return int(text)


def _optional_text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


async def _member_name(user_id: int) -> str:
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound(f"there is no member {user_id} here")
    return user.display_name or user.username


# -- balances and statements --------------------------------------------------------------


async def balances_page(req: PageRequest) -> web.StreamResponse:
    """Treasurers see everyone's standing (as `/bank`); anyone else sees their own (`/balance`)."""
    if req.level < Level.TREASURER:
        return req.redirect("me")
    return req.render(
        "economy/balances.html",
        treasury=await ledger.balance(req.guild_id, TREASURY, until=req.now()),
        positions=await member_positions(req.guild_id),
    )


async def _statement(
    req: PageRequest, account: ledger.AccountRef, title: str, *, own: bool
) -> web.StreamResponse:
    period = req.query.get("period") or "month"
    since, until = period_window(period, req.now())
    shown = await statement(req.guild_id, account, since=since, until=until)
    position = (
        await member_position(req.guild_id, account.user_id)
        if account.user_id is not None
        else None
    )
    return req.render(
        "economy/statement.html",
        title=title,
        statement=shown,
        position=position,
        own=own,
        period=period.strip().lower(),
        periods=PERIOD_NAMES,
    )


async def my_account(req: PageRequest) -> web.StreamResponse:
    return await _statement(req, ledger.member(req.user_id), "My account", own=True)


async def member_statement(req: PageRequest) -> web.StreamResponse:
    """A member's account, or the treasury's (`/bank statement`, treasurers)."""
    who = req.match["user_id"]
    if who == "treasury":
        return await _statement(req, TREASURY, "Treasury statement", own=False)
    try:
        user_id = _snowflake(who, "member")
    except InvalidInput:
        raise NotFound(f"there is no member {who!r} here") from None
    name = await _member_name(user_id)
    return await _statement(req, ledger.member(user_id), f"Statement of {name}", own=False)


# -- the ledger ------------------------------------------------------------------------------


async def ledger_list(req: PageRequest) -> web.StreamResponse:
    q = req.query
    member_text = _optional_text(q.get("member"))
    member_id = _snowflake(member_text, "member") if member_text else None
    start = reports.parse_day(q.get("from"), "from")
    end = reports.parse_day(q.get("to"), "to")
    since, before = day_bounds(start, end)
    chosen = LedgerFilter(
        account=parse_account(q.get("account"), member_id),
        kind=parse_kind(q.get("kind")),
        since=since,
        before=before,
    )
    shown = await ledger_page(req.guild_id, chosen, page=parse_page(q.get("page")))
    keep = {k: q.get(k, "") for k in ("account", "member", "kind", "from", "to") if q.get(k)}
    return req.render(
        "economy/ledger.html",
        ledger=shown,
        filters=keep,
        account_kinds=[k.value for k in AccountKind],
        tx_kinds=[k.value for k in TxKind],
        members=await member_positions(req.guild_id),
    )


# -- the finance report ----------------------------------------------------------------------


async def _report(req: PageRequest) -> reports.FinanceReport:
    window = reports.day_window(
        reports.parse_day(req.query.get("from"), "from"),
        reports.parse_day(req.query.get("to"), "to"),
        req.now().date(),
    )
    return await reports.finances(req.guild_id, *window)


async def report_page(req: PageRequest) -> web.StreamResponse:
    report = await _report(req)
    return req.render(
        "economy/report.html",
        report=report,
        label=period_label(report),
        treasury_chart=treasury_chart(report),
        flow_chart=flow_chart(report),
        period_from=f"{report.start.date()}",
        period_to=f"{report.last_day}",
    )


async def report_csv(req: PageRequest) -> web.StreamResponse:
    report = await _report(req)
    return _download(to_csv(report), f"{file_stem(report)}.csv", "text/csv")


async def report_pdf(req: PageRequest) -> web.StreamResponse:
    report = await _report(req)
    found = await Guild.get_or_none(id=req.guild_id)
    pdf = to_pdf(report, found.name if found else "")
    return _download(pdf, f"{file_stem(report)}.pdf", "application/pdf")


def _download(body: bytes, filename: str, content_type: str) -> web.Response:
    return web.Response(
        body=body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- prices ----------------------------------------------------------------------------------


async def prices_page(req: PageRequest) -> web.StreamResponse:
    index = await material_index()
    return req.render("economy/prices.html", prices=await prices_now(req.guild_id, index.materials))


async def price_page(req: PageRequest) -> web.StreamResponse:
    text = req.match["material_id"]
    material = (
        await Material.get_or_none(id=int(text)) if text.isdigit() and len(text) < 10 else None
    )
    if material is None:
        raise NotFound(f"there is no material #{text}")
    [now] = await prices_now(req.guild_id, [material])
    points = await price_history(req.guild_id, material, limit=100)
    return req.render(
        "economy/price.html",
        now=now,
        points=points,
        chart=price_chart(material.name, points),
    )


# -- trades ----------------------------------------------------------------------------------


async def trades_page(req: PageRequest) -> web.StreamResponse:
    index = await material_index()
    return req.render(
        "economy/trades.html",
        trades=await recent_trades(req.guild_id, limit=TRADES_SHOWN),
        materials=index.materials,
        members=await member_positions(req.guild_id),
        sides=[s.value for s in Side],
        shown=TRADES_SHOWN,
    )


async def record_trade_page(req: PageRequest) -> web.StreamResponse:
    """`/trade sell|buy`: the same service, checks and refusals."""
    form = await req.form()
    side = (form.get("side") or "").strip().lower()
    if side not in {s.value for s in Side}:
        raise InvalidInput(f"side {side!r} is neither sell nor buy")
    material = await find_material(form.get("material") or "")
    member_text = _optional_text(form.get("member"))
    trade = await record_trade(
        req.guild_id,
        side=side,
        material=material,
        quantity_scu=form.get("scu") or "",
        unit_price=_optional_text(form.get("price_per_scu")),
        total=_optional_text(form.get("total")),
        location=_optional_text(form.get("location")),
        counterparty=_optional_text(form.get("counterparty")),
        member_id=_snowflake(member_text, "member") if member_text else None,
        actor_id=req.user_id,
        at=req.now(),
    )
    verb = "sold" if side == Side.SELL.value else "bought"
    req.flash(f"Trade #{trade.id} recorded: {trade.quantity_scu} SCU of {material.name} {verb}.")
    return req.redirect("trades")


def pages() -> list[Page]:
    """Every economy page, at the level of the slash command that does the same."""
    officer, treasurer = Level.OFFICER, Level.TREASURER
    return [
        Page("", balances_page, title="Balances"),
        Page("me", my_account, title="My account"),
        Page("accounts/{user_id}", member_statement, level=treasurer),
        Page("ledger", ledger_list, level=treasurer, title="Ledger"),
        Page("report", report_page, level=officer, title="Finance report"),
        Page("report.csv", report_csv, level=officer),
        Page("report.pdf", report_pdf, level=officer),
        Page("prices", prices_page, title="Prices"),
        Page("prices/{material_id}", price_page),
        Page("trades", trades_page, level=officer, title="Trades"),
        Page("trades", record_trade_page, method="POST", level=officer),
    ]
