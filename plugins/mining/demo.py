"""Mining's part of `redlegion demo`: a full Sunday op through the local Discord stand-in.

Channels are approved, the op starts with three miners already in voice, a dozen members
join, move, go AFK, leave and come back over three virtual hours, the bot restarts mid-op
(two members change voice while it is down), the op stops, yields and a refinery fee are
recorded, an officer sets the time of a member who left during the downtime by hand, one
member donates their share, payroll is previewed and committed, a payout is marked paid and
the PDF report is written to the demo's output folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import confirm

if TYPE_CHECKING:
    from core.demo import DemoContext
    from fakediscord import Channel, Member

HAUL_CSV = b"""material,scu,member,price,value
Laranite,18.5,,,
Gold,12,,6450,
Hephaestanite,9.25,,,
Inert Materials,40,,,
"""


async def play_sunday_op(demo: DemoContext) -> str:
    """Play the op; returns the committed payroll table as printed."""
    world, guild = demo.world, demo.guild
    officer, treasurer = demo.officer, demo.treasurer
    crew = demo.crew
    clock = world.clock

    async def minutes(n: float, note: str = "") -> None:
        clock.advance(minutes=n)
        if note:
            demo.say(f"[{clock.now():%H:%M}] {note}")

    async def voice(member: Member, channel: Channel | None, note: str) -> None:
        if channel is None:
            await member.leave()
        elif member.voice is None:
            await member.join(channel)
        else:
            await member.move(channel)
        demo.say(f"[{clock.now():%H:%M}] {member.name} {note}")

    demo.say("")
    demo.say("-- mining: a Sunday op from voice to payroll --")
    alpha, beta = guild.voice("Mining Alpha"), guild.voice("Mining Beta")
    lounge, afk = guild.voice("Lounge"), guild.voice("AFK", afk=True)
    for channel in (alpha, beta):
        await demo.slash(officer, "mining channel add", channel=channel)

    ace, bishop, cricket, dagger, echo, flint, ghost, hawk, iris, jinx, kestrel, lynx = crew
    await voice(ace, alpha, "is in Mining Alpha before the op starts")
    await voice(bishop, alpha, "too")
    await voice(cricket, beta, "warms up a Prospector in Mining Beta")
    await voice(jinx, lounge, "hangs out in the Lounge (does not count)")
    reply = await demo.slash(
        officer,
        "mining event create",
        name="Sunday Mining",
        description="Aaron Halo belt; Moles to Alpha, Prospectors to Beta",
    )
    event = int(reply.text.split("#", 1)[1].split(" ", 1)[0])
    await demo.slash(officer, "mining event start", event=event)

    await minutes(10)
    await voice(dagger, alpha, "joins Mining Alpha")
    await voice(echo, beta, "joins Mining Beta")
    await voice(flint, beta, "joins Mining Beta")
    await minutes(15)
    await voice(ghost, alpha, "joins late")
    await voice(hawk, alpha, "joins late")
    await voice(jinx, beta, "leaves the Lounge for Mining Beta")
    await minutes(20)
    await voice(iris, beta, "joins Mining Beta")
    await voice(bishop, beta, "moves to Mining Beta to crew a Mole")
    await minutes(15)
    await voice(flint, afk, "goes AFK (time stops)")
    await voice(kestrel, alpha, "joins Mining Alpha")
    await minutes(25)
    await voice(flint, beta, "is back from AFK")
    await voice(echo, None, "leaves for dinner")
    await demo.slash(ace, "mining event show", event=event)

    await minutes(20)
    await voice(lynx, alpha, "joins Mining Alpha just before the bot goes down")
    demo.say(
        "(downtime rule: who stays keeps their session, who leaves is closed at the bot's last "
        "sign of life, who arrives starts at the restart)"
    )
    await demo.stop_bot()
    demo.say(f"[{clock.now():%H:%M}] *** the bot goes down ***")
    await minutes(3)
    await voice(ghost, None, "leaves while the bot is down")
    await voice(echo, alpha, "comes back while the bot is down")
    await minutes(4)
    await demo.start_bot()
    demo.say(f"[{clock.now():%H:%M}] *** the bot is back and reconciles who is in voice ***")
    await demo.slash(officer, "mining event show", event=event)

    await minutes(30)
    await voice(hawk, beta, "moves to Mining Beta")
    await voice(dagger, None, "leaves")
    await minutes(10)
    await voice(dagger, alpha, "rejoins Mining Alpha")
    await minutes(25)
    await voice(jinx, None, "calls it a night")
    await minutes(15)
    await demo.slash(officer, "mining event stop", event=event)
    for member in (ace, bishop, cricket, dagger, echo, flint, hawk, iris, kestrel, lynx):
        if member.voice is not None:
            await member.leave()

    await demo.slash(
        officer,
        "mining yield add",
        event=event,
        material="Quantainium",
        scu="64",
        member=bishop,
    )
    from fakediscord import File

    await demo.slash(officer, "mining yield import", event=event, file=File("haul.csv", HAUL_CSV))
    await demo.slash(
        officer,
        "mining expense add",
        event=event,
        amount="48,750",
        paid_by=cricket,
        kind="refinery",
        description="ARC-L1 refinery job #3342",
    )
    demo.say("(Ghost left at 19:48 while the bot was down: it counted him until its last sign of")
    demo.say(" life. His crew saw him leave, so an officer sets his time by hand, with a reason.)")
    await demo.slash(
        officer,
        "mining time set",
        event=event,
        member=ghost,
        minutes=83,
        reason="left at 19:48 while the bot was down (the crew saw him go)",
    )
    await demo.slash(kestrel, "mining payroll donate", event=event)
    await demo.slash(treasurer, "mining payroll preview", event=event)
    asked = await demo.slash(treasurer, "mining payroll commit", event=event)
    committed = await demo.press(treasurer, asked, confirm.CONFIRM_ID, "Confirm")
    await demo.slash(treasurer, "mining payout mark-paid", event=event, member=ace)
    await demo.slash(officer, "mining report event", event=event)
    return committed.text
