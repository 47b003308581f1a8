"""The mining pages over HTTP, for each caller: the same services, levels and refusals as
`/mining …`, a refused action leaving the tables as they were, user text escaped."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import markupsafe
import pytest

from core.events import VoiceStateEvent
from plugins.economy.models import Transaction
from plugins.mining import channels, events, expenses, payroll, yields
from plugins.mining.models import (
    MiningEvent,
    MiningExpense,
    MiningMemberTime,
    MiningParticipation,
    MiningPayout,
    MiningYield,
)
from plugins.mining.settings import MiningSettings
from plugins.mining.voice import VoiceTracker
from tests.web.conftest import Client, PortalWorld

SignedIn = Callable[[str | int], Awaitable[Client]]
ROCKS, LOUNGE = 7001, 7002
HOSTILE = "<script>alert(1)</script> @everyone"


@pytest.fixture
async def mining(portal: PortalWorld) -> PortalWorld:
    """The portal's guild with one approved mining channel."""
    await channels.add_channel(portal.guild_id, ROCKS, "Rocks", voice_channel_ids={ROCKS, LOUNGE})
    return portal


def base(portal: PortalWorld) -> str:
    return f"/g/{portal.guild_id}/mining/"


async def tables() -> tuple:
    """Every mining row and ledger transaction, to compare before and after a refusal."""
    return (
        await MiningEvent.all()
        .order_by("id")
        .values_list(
            "id", "status", "started_at", "ended_at", "total_value_auec", "payroll_processed"
        ),
        await MiningParticipation.all().order_by("id").values_list("id", "session_end"),
        await MiningMemberTime.all().order_by("id").values_list("id", "seconds"),
        await MiningYield.all().order_by("id").values_list("id", "estimated_value"),
        await MiningExpense.all().order_by("id").values_list("id", "amount_auec"),
        await MiningPayout.all().order_by("id").values_list("id", "status"),
        await Transaction.all().count(),
    )


async def post(client: Client, path: str, **fields: str) -> tuple[int, str]:
    """POST a form with the session's CSRF token; (status, where it redirects)."""
    async with client.post(path, {"csrf_token": client.csrf, **fields}) as resp:
        return resp.status, resp.headers.get("Location", "")


async def page(client: Client, path: str) -> tuple[int, str]:
    async with client.get(path) as resp:
        return resp.status, await resp.text()


async def flashes(client: Client, portal: PortalWorld, path: str = "") -> str:
    """The text of the next page (which shows the flashed messages)."""
    return (await page(client, base(portal) + path))[1]


def voice(portal: PortalWorld, tracker: VoiceTracker):
    async def change(user: str, before: int | None, after: int | None) -> None:
        await tracker.handle(
            VoiceStateEvent(
                guild_id=portal.guild_id,
                user_id=portal.user(user),
                before_channel_id=before,
                after_channel_id=after,
                is_bot=False,
                afk_channel_id=None,
                at=portal.clock.now(),
            )
        )

    return change


async def completed(portal: PortalWorld, minutes: dict[str, int], value: str = "1000") -> int:
    """An op in which each member stayed the given minutes, with one yield line of `value`."""
    tracker = VoiceTracker()
    move = voice(portal, tracker)
    event = await events.create_event(portal.guild_id, at=portal.clock.now(), name="Op")
    await events.start_event(portal.guild_id, event.id, at=portal.clock.now())
    for who in minutes:
        await move(who, None, ROCKS)
    gone = 0
    for who, stay in sorted(minutes.items(), key=lambda kv: kv[1]):
        portal.clock.advance(timedelta(minutes=stay - gone))
        gone = stay
        await move(who, ROCKS, None)
    portal.clock.advance(timedelta(minutes=1))
    await events.stop_event(portal.guild_id, event.id, at=portal.clock.now())
    await yields.add_yields(
        portal.guild_id, event.id, [yields.YieldInput("Gold", "1", value=value)]
    )
    return event.id


# -- events ------------------------------------------------------------------------------------


async def test_officer_plans_starts_and_stops_an_event(mining, signed_in):
    officer = await signed_in("officer")
    status, where = await post(officer, base(mining) + "events", name="Aaron Halo run", when="")
    assert status == 303
    event = await MiningEvent.get(guild_id=mining.guild_id)
    assert where == base(mining) + f"events/{event.id}"
    assert f"Planned #{event.id} Aaron Halo run" in await flashes(officer, mining)
    assert await post(officer, where + "/start") == (303, where + "/live")
    assert (await MiningEvent.get(id=event.id)).status == "active"
    mining.clock.advance(timedelta(minutes=5))
    assert (await post(officer, where + "/stop"))[0] == 303
    assert "is over after 5m 00s" in await flashes(officer, mining)
    assert (await MiningEvent.get(id=event.id)).status == "completed"


async def test_a_refused_transition_says_why_and_changes_nothing(mining, signed_in):
    officer = await signed_in("officer")
    event = await events.create_event(mining.guild_id, at=mining.clock.now())
    before = await tables()
    path = base(mining) + f"events/{event.id}/stop"
    status, where = await post(officer, path)
    assert (status, where) == (303, base(mining))  # back to the index: no Referer
    assert "is planned: only a active event can be stopped" in await flashes(officer, mining)
    assert await tables() == before


async def test_members_cannot_change_events(mining, signed_in):
    member = await signed_in("member")
    event = await events.create_event(mining.guild_id, at=mining.clock.now())
    before = await tables()
    for action in ("start", "cancel"):
        assert (await post(member, base(mining) + f"events/{event.id}/{action}"))[0] == 403
    assert (await post(member, base(mining) + "events", name="Mine"))[0] == 403
    assert await tables() == before
    status, text = await page(member, base(mining))
    assert status == 200 and "Plan an event" not in text and "Sunday Mining" in text


async def test_a_post_without_the_csrf_token_is_refused(mining, signed_in):
    officer = await signed_in("officer")
    async with officer.post(base(mining) + "events", {"name": "x"}) as resp:
        assert resp.status == 403
    assert await MiningEvent.all().count() == 0


async def test_events_are_filtered_by_status_and_date(mining, signed_in):
    member = await signed_in("member")
    now = mining.clock.now()
    await events.create_event(mining.guild_id, at=now, name="Planned one")
    old = await events.create_event(
        mining.guild_id, at=now, name="Last month", when=now - timedelta(days=30)
    )
    await events.cancel_event(mining.guild_id, old.id, at=now)
    _, text = await page(member, base(mining) + "?status=cancelled")
    assert "Last month" in text and "Planned one" not in text
    since = (now - timedelta(days=1)).date().isoformat()
    _, text = await page(member, base(mining) + f"?since={since}")
    assert "Planned one" in text and "Last month" not in text
    status, text = await page(member, base(mining) + "?since=yesterday")
    assert status == 400 and "&#39;yesterday&#39; is not a date" in text
    status, text = await page(member, base(mining) + "?status=done")
    assert status == 400 and "Unknown status" in text


async def test_names_and_event_text_are_escaped(mining, signed_in):
    officer = await signed_in("officer")
    event = await completed(mining, {"hostile": 30, "member": 20})
    await MiningEvent.filter(id=event).update(event_name=HOSTILE, description=HOSTILE)
    for path in ("", f"events/{event}", f"events/{event}/live"):
        _, text = await page(officer, base(mining) + path)
        assert "<script>alert" not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt; @everyone" in text, path


async def test_another_guilds_event_is_not_found(mining, signed_in):
    stranger = await signed_in("stranger")
    member = await signed_in("member")
    event = await events.create_event(mining.guild_id, at=mining.clock.now())
    assert (await page(stranger, base(mining) + f"events/{event.id}"))[0] == 404
    other = f"/g/{mining.other_guild_id}/mining/events/{event.id}"
    assert (await page(stranger, other))[0] == 404
    assert (await page(member, base(mining) + "events/99999999999"))[0] == 404


# -- the live monitor ------------------------------------------------------------------------


async def test_the_live_json_follows_joins_moves_and_leaves_from_the_database(mining, signed_in):
    member = await signed_in("member")
    event = await events.create_event(mining.guild_id, at=mining.clock.now())
    await events.start_event(mining.guild_id, event.id, at=mining.clock.now())
    move = voice(mining, VoiceTracker())  # another process's tracker: only the rows are shared
    feed = base(mining) + f"events/{event.id}/live.json"

    async def read() -> dict:
        async with member.get(feed) as resp:
            assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
            return await resp.json()

    assert (await read())["in_voice"] == 0
    await move("officer", None, ROCKS)
    mining.clock.advance(timedelta(minutes=3))
    data = await read()
    rocks = next(c for c in data["channels"] if c["name"] == "Rocks")
    assert [(m["name"], m["time"]) for m in rocks["members"]] == [("Ollie", "3m 00s")]
    await move("officer", ROCKS, LOUNGE)  # to a channel that does not count
    data = await read()
    assert data["in_voice"] == 0
    assert [(p["name"], p["in_channel"]) for p in data["participants"]] == [("Ollie", False)]
    status, text = await page(member, base(mining) + f"events/{event.id}/live")
    assert status == 200 and "/static/mining/live.js" in text and "Ollie" in text


# -- an event's page ---------------------------------------------------------------------------


async def test_officer_sets_a_time_by_hand_with_a_reason(mining, signed_in):
    officer = await signed_in("officer")
    event = await completed(mining, {"member": 20})
    path = base(mining) + f"events/{event}/time"
    mia = str(mining.user("member"))
    assert (await post(officer, path, member=mia, minutes="15", reason="client dropped"))[0] == 303
    text = await flashes(officer, mining, f"events/{event}")
    assert "Mia&#39;s time is now 15m 00s (the bot counted 20m 00s)" in text
    assert "client dropped" in text
    before = await tables()
    await post(officer, path, member=mia, minutes="9999", reason="typo")
    assert "longer than event" in await flashes(officer, mining)
    await post(officer, path, member=mia, minutes="5", reason="")
    assert "Give a reason" in await flashes(officer, mining)
    assert await tables() == before
    member = await signed_in("member")
    assert (await post(member, path, member=mia, minutes="99", reason="me"))[0] == 403


async def test_yields_and_expenses_are_added_and_removed(mining, signed_in):
    officer = await signed_in("officer")
    event = await completed(mining, {"member": 30}, value="0.01")
    root = base(mining) + f"events/{event}"
    assert (await post(officer, root + "/yields", material="Gold", scu="12", value="500"))[0] == 303
    assert "Recorded 12.00 SCU of Gold" in await flashes(officer, mining)
    line = await MiningYield.filter(event_id=event).order_by("-id").first()
    assert (await post(officer, root + f"/yields/{line.id}/remove"))[0] == 303
    assert not await MiningYield.exists(id=line.id)
    tess = str(mining.user("treasurer"))
    status, _ = await post(
        officer,
        root + "/expenses",
        amount="100",
        paid_by=tess,
        kind="refinery",
        description=HOSTILE,
    )
    assert status == 303
    expense = await MiningExpense.get(event_id=event)
    _, text = await page(officer, root)
    assert "<script>alert" not in text and "refinery" in text
    assert (await post(officer, root + f"/expenses/{expense.id}/remove"))[0] == 303
    assert not await MiningExpense.exists(id=expense.id)
    before = await tables()
    await post(officer, root + "/yields", material="Unobtainium", scu="1")
    assert "Unobtainium" in await flashes(officer, mining)
    await post(officer, root + "/expenses", amount="-5", paid_by=tess)
    await post(officer, root + "/yields/999999/remove")
    assert "has no yield line #999999" in await flashes(officer, mining)
    assert await tables() == before


async def upload(client: Client, path: str, name: str, data: bytes) -> tuple[int, str]:
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("csrf_token", client.csrf)
    form.add_field("file", data, filename=name, content_type="text/csv")
    async with client.http.post(client.base + path, data=form, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location", "")


async def test_a_yields_file_is_taken_whole_or_not_at_all(mining, signed_in):
    officer = await signed_in("officer")
    event = await completed(mining, {"member": 30})
    path = base(mining) + f"events/{event}/yields/import"
    good = b"material,scu,value\nGold,2,300\nQuantanium,1,200\n"
    assert (await upload(officer, path, "haul.csv", good))[0] == 303
    assert "Recorded 2 yield line(s) from haul.csv" in await flashes(officer, mining)
    before = await tables()
    bad = b"material,scu\nGold,2\nNope,1\n"
    await upload(officer, path, "bad.csv", bad)
    assert "line 3:" in await flashes(officer, mining)
    await upload(officer, path, "nul.csv", b"material,scu\nGold\x00,1\n")
    assert "control character" in await flashes(officer, mining)
    await upload(officer, path, "big.csv", b"material,scu\n" + b"Gold,1\n" * 40_000)
    assert "keep it under 256 KB" in await flashes(officer, mining)
    assert await tables() == before


# -- payroll -----------------------------------------------------------------------------------


async def test_payroll_preview_confirm_commit_once_and_mark_paid(mining, signed_in):
    treasurer = await signed_in("treasurer")
    event = await completed(mining, {"member": 30, "officer": 10})
    root = base(mining) + f"events/{event}"
    status, text = await page(treasurer, root + "/payroll?mode=equal")
    assert status == 200
    for figure in ("1,000.00 aUEC", "100.00 aUEC", "900.00 aUEC", "450.00 aUEC"):
        assert figure in text  # gross, org cut 10 %, the pot, an equal share
    option = f'<option value="{mining.user("member")}">Mia</option>'
    assert option in (await page(treasurer, root))[1]  # the member pickers of the forms
    before = await tables()
    status, text = await page(treasurer, root + "/payroll/confirm?mode=time")
    assert status == 200 and "Confirm: commit this payroll" in text and "675.00 aUEC" in text
    assert await tables() == before  # preview and confirmation write nothing
    assert (await post(treasurer, root + "/payroll/commit", mode="time"))[0] == 303
    payouts = dict(await MiningPayout.filter(event_id=event).values_list("user_id", "amount_auec"))
    assert {u: str(a) for u, a in payouts.items()} == {
        mining.user("member"): "675.00",
        mining.user("officer"): "225.00",
    }
    after = await tables()
    await post(treasurer, root + "/payroll/commit", mode="time")
    assert "already committed" in await flashes(treasurer, mining)
    assert (await page(treasurer, root + "/payroll/confirm"))[0] == 409
    assert await tables() == after
    every = "Mark every owed payout paid"
    text = (await page(treasurer, root))[1]
    assert every in text and text.count(">Mark paid</button>") == 2
    assert option not in text and "Add expense" not in text  # committed: no forms
    officer = await signed_in("officer")
    text = (await page(officer, root))[1]
    assert "Participants and payouts" in text and "675.00 aUEC" in text  # they see them
    assert every not in text and "Mark paid" not in text  # but do not pay them
    mia = str(mining.user("member"))
    assert (await post(treasurer, root + "/payouts/paid", member=mia))[0] == 303
    assert "Marked 1 payout(s) paid: Mia." in await flashes(treasurer, mining)
    await post(treasurer, root + "/payouts/paid", member=mia)
    assert "already paid" in await flashes(treasurer, mining)
    text = (await page(treasurer, root))[1]
    assert every in text and text.count(">Mark paid</button>") == 1
    await post(treasurer, root + "/payouts/paid")
    text = (await page(treasurer, root))[1]
    assert every not in text and "Mark paid" not in text  # nothing owed: no buttons


async def test_a_committed_event_lists_each_member_with_their_payout(mining, signed_in):
    treasurer = await signed_in("treasurer")
    event = await completed(mining, {"member": 30, "officer": 10})
    await expenses.add_expense(
        mining.guild_id, event, amount="100", paid_by=mining.user("treasurer"), kind="refinery"
    )
    rules = MiningSettings(org_cut_percent=10, min_minutes_to_qualify=20)
    await payroll.commit(mining.guild_id, event, settings=rules, at=mining.clock.now())
    text = (await page(treasurer, base(mining) + f"events/{event}"))[1]
    people = text[text.index('id="people"') : text.index('id="yields"')]
    rows = {
        name: row
        for row in re.findall(r"<tr>(.*?)</tr>", people, re.S)
        if (name := re.search(r"<td>(\w+)</td>", row)) and (name := name.group(1))
    }
    assert set(rows) == {"Mia", "Ollie", "Tess"}  # one row a member, in one table
    # the pot (1,000 - 100 repaid - 90 org cut) all Mia's: Ollie stayed under 20 minutes
    assert "30m 00s" in rows["Mia"] and "810.00 aUEC" in rows["Mia"]
    assert "Mark Mia's payout paid" in rows["Mia"]
    assert "10m 00s" in rows["Ollie"] and "none: below the time that qualifies" in rows["Ollie"]
    assert "Mark Ollie" not in rows["Ollie"]
    assert "paid expenses only" in rows["Tess"] and rows["Tess"].count("100.00 aUEC") == 2
    assert people.count("<table>") == 1 and text.count("Mark paid") == 2  # Mia's, Tess's


async def test_payroll_is_for_treasurers(mining, signed_in):
    officer = await signed_in("officer")
    event = await completed(mining, {"member": 30})
    root = base(mining) + f"events/{event}"
    before = await tables()
    assert (await page(officer, root + "/payroll"))[0] == 403
    assert (await post(officer, root + "/payroll/commit"))[0] == 403
    assert (await post(officer, root + "/payouts/paid"))[0] == 403
    assert await tables() == before


async def test_the_pdf_downloads(mining, signed_in):
    officer = await signed_in("officer")
    event = await completed(mining, {"member": 30})
    async with officer.get(base(mining) + f"events/{event}/report.pdf") as resp:
        assert resp.status == 200 and resp.content_type == "application/pdf"
        assert "attachment" in resp.headers["Content-Disposition"]
        assert (await resp.read()).startswith(b"%PDF")
    assert (await MiningEvent.get(id=event)).pdf_generated
    member = await signed_in("member")
    assert (await page(member, base(mining) + f"events/{event}/report.pdf"))[0] == 403


# -- channels, a member's payouts, donations ----------------------------------------------


async def test_channels_are_listed_and_officers_remove_them(mining, signed_in):
    member, officer = await signed_in("member"), await signed_in("officer")
    _, text = await page(member, base(mining) + "channels")
    assert "Rocks" in text and "Remove" not in text
    assert (await post(member, base(mining) + "channels/remove", channel=str(ROCKS)))[0] == 403
    assert (await post(officer, base(mining) + "channels/remove", channel=str(ROCKS)))[0] == 303
    assert "no longer counts" in await flashes(officer, mining, "channels")
    await post(officer, base(mining) + "channels/remove", channel=str(ROCKS))
    assert "is not an approved mining channel" in await flashes(officer, mining, "channels")


async def test_officers_approve_a_voice_channel_discord_lists(mining, signed_in):
    guild = mining.world.guilds[mining.guild_id]
    deck = guild.voice(HOSTILE)
    afk = guild.voice("Away", afk=True)
    general = guild.text("general")
    member, officer = await signed_in("member"), await signed_in("officer")
    _, text = await page(member, base(mining) + "channels")
    assert "Approve a channel" not in text
    _, text = await page(officer, base(mining) + "channels")
    assert f'<option value="{deck.id}">&lt;script&gt;' in text and "<script>alert" not in text
    assert f'value="{afk.id}"' not in text and f'value="{general.id}"' not in text
    before = await tables()
    assert (await post(member, base(mining) + "channels", channel=str(deck.id)))[0] == 403
    for wrong, why in [
        (general.id, f"Channel {general.id} is not a voice channel of this server."),
        (afk.id, f"Channel {afk.id} is this server's AFK channel: time there never counts."),
        (ROCKS + 10**6, "is not a voice channel of this server"),
        ("9" * 30, ""),
    ]:
        assert (await post(officer, base(mining) + "channels", channel=str(wrong)))[0] == 303
        shown = await flashes(officer, mining, "channels")
        assert str(markupsafe.escape(why)) in shown and "flash-error" in shown
    assert await tables() == before, "a refused approval changes nothing"
    assert (await post(officer, base(mining) + "channels", channel=str(deck.id)))[0] == 303
    assert "now counts as a mining channel" in await flashes(officer, mining, "channels")
    assert {c.channel_id for c in await channels.list_channels(mining.guild_id)} == {ROCKS, deck.id}


async def test_approving_says_so_when_discord_cannot_be_asked(mining, signed_in):
    officer = await signed_in("officer")
    mining.settings.token = None
    _, text = await page(officer, base(mining) + "channels")
    assert "The portal has no bot token" in text
    status, _ = await post(officer, base(mining) + "channels", channel=str(LOUNGE))
    assert status == 303
    assert "The portal has no bot token" in await flashes(officer, mining, "channels")


async def test_a_member_sees_their_own_payouts(mining, signed_in):
    event = await completed(mining, {"member": 30, "officer": 30})
    from plugins.mining import payroll
    from plugins.mining.settings import MiningSettings

    await payroll.commit(mining.guild_id, event, settings=MiningSettings(), at=mining.clock.now())
    member = await signed_in("member")
    status, text = await page(member, base(mining) + "payouts")
    assert status == 200 and "450.00 aUEC" in text and "owed" in text
    _, home = await page(member, f"/g/{mining.guild_id}/")
    assert "My mining payouts" in home
    stranger = await signed_in("stranger")
    assert (await page(stranger, base(mining) + "payouts"))[0] == 404


async def test_a_member_donates_their_share(mining, signed_in):
    event = await completed(mining, {"member": 30, "officer": 30})
    member = await signed_in("member")
    assert (await post(member, base(mining) + f"events/{event}/donate", give="yes"))[0] == 303
    assert "Thank you" in await flashes(member, mining)
    _, text = await page(member, base(mining) + f"events/{event}")
    assert re.search(r"Mia</td>.*?donates their share", text, re.S)
