"""The live monitor of an op: who is in which approved channel right now, and everyone's time.

Read from the database alone (the event's open and closed sessions, the channels' names), so a
portal running in a process of its own shows what the bot recorded a moment ago: a join, move
or leave is an INSERT or UPDATE of `mining_participation`, which the next read sees. Time so
far follows the one rule of `timeline.member_times`, through `participants`.

Three queries whatever the number of participants: the event, its sessions, the channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugins.mining.events import get_event
from plugins.mining.models import EventStatus, MiningChannel, MiningEvent
from plugins.mining.participants import Participant, frozen_times, load_sessions, participants_of


@dataclass(frozen=True)
class InChannel:
    """A member in an approved channel now: since when (their open session's start)."""

    user_id: int
    name: str
    since: datetime
    seconds: int  # their counted time in the event so far (all sessions)


@dataclass(frozen=True)
class ChannelNow:
    channel_id: int
    name: str
    members: tuple[InChannel, ...]


@dataclass(frozen=True)
class LiveView:
    event: MiningEvent
    at: datetime
    channels: tuple[ChannelNow, ...]  # approved channels (and any with an open session)
    participants: tuple[Participant, ...]  # everyone with counted time, longest first

    @property
    def live(self) -> bool:
        return self.event.status == EventStatus.ACTIVE

    @property
    def in_voice(self) -> int:
        return sum(len(c.members) for c in self.channels)


async def live_view(
    guild_id: int, event_id: int, *, now: datetime, min_session_seconds: int
) -> LiveView:
    """The event as it stands at `now`; an ended event has nobody in a channel."""
    event = await get_event(guild_id, event_id)
    names_of = dict(
        await MiningChannel.filter(guild_id=guild_id, is_active=True).values_list(
            "channel_id", "channel_name"
        )
    )
    if event.times_min_session_seconds is not None:  # ended: its times are frozen
        people = await frozen_times(event.id)
        rooms = tuple(ChannelNow(cid, name, ()) for cid, name in names_of.items())
        return LiveView(event, now, _sorted(rooms), tuple(people))
    found, names, donors = await load_sessions(event.id)
    people = [
        p._replace(donated=True) if p.user_id in donors else p
        for p in participants_of(
            event, found, names, now=now, min_session_seconds=min_session_seconds
        )
    ]
    seconds = {p.user_id: p.seconds for p in people}
    members: dict[int, list[InChannel]] = {cid: [] for cid in names_of}
    if event.status == EventStatus.ACTIVE:
        for s in found:
            if s.end is None:
                who = InChannel(
                    s.user_id,
                    names.get(s.user_id, str(s.user_id)),
                    s.start,
                    seconds.get(s.user_id, 0),
                )
                members.setdefault(s.channel_id, []).append(who)
    rooms = tuple(
        ChannelNow(
            cid,
            names_of.get(cid, str(cid)),
            tuple(sorted(inside, key=lambda m: (m.since, m.user_id))),
        )
        for cid, inside in members.items()
    )
    return LiveView(event, now, _sorted(rooms), tuple(people))


def _sorted(rooms: tuple[ChannelNow, ...]) -> tuple[ChannelNow, ...]:
    return tuple(sorted(rooms, key=lambda c: (c.name.casefold(), c.channel_id)))
