"""Participation from voice: joins, moves and leaves open and close sessions.

The hot path. Per guild, the approved channels and the active events are cached in memory
(loaded on first use, dropped whenever an officer changes channels or events, rebuilt from
the database after a restart), so a voice event costs only the writes it needs: a leave is
one UPDATE, a join one INSERT, a move between mining channels both (one statement on
PostgreSQL). A guild's voice events
arrive in order (core holds a per-guild lock); officers' changes take this tracker's lock for
the guild so a voice event never sees half of one.

Restart rule (reconciliation, on every guild-available): the bot writes a sign of life on each
active event every `heartbeat_seconds`. When it comes back it compares open sessions with who
is in voice now:

- still in the same approved channel: the session stays open, so the downtime counts for
  members who were there before and are still there after;
- gone (left voice, or now in a channel that does not count): the session closes at the
  bot's last sign of life (the latest heartbeat or voice change recorded for the event), so
  time after the bot last saw them is never invented;
- now in another approved channel: the old session closes and a new one opens at the
  restart, which keeps their time continuous;
- in an approved channel without an open session (joined during the downtime): a session
  opens at the restart, so downtime is never invented for them either.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.transactions import in_transaction

from core.events import GuildSnapshot, VoiceStateEvent
from plugins.mining import sessions
from plugins.mining.channels import approved_channel_ids
from plugins.mining.events import active_event_ids, open_many
from plugins.mining.models import EventStatus, MiningEvent, MiningParticipation

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GuildState:
    channels: frozenset[int]
    events: tuple[int, ...]

    def counted(self, channel_id: int | None, afk_channel_id: int | None) -> int | None:
        """The channel when time counts there (approved, never AFK), else None."""
        if channel_id is None or channel_id == afk_channel_id or channel_id not in self.channels:
            return None
        return channel_id


@dataclass
class ReconcileResult:
    kept: int = 0
    closed: int = 0
    opened: int = 0
    events: list[int] = field(default_factory=list)


class VoiceTracker:
    """Turns one bot's voice events into sessions; holds that bot's per-guild cache."""

    def __init__(self) -> None:
        self._state: dict[int, GuildState] = {}
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        # guilds reconciled since start: only there is the bot's sign of life true
        self.watching: set[int] = set()

    async def state(self, guild_id: int) -> GuildState:
        state = self._state.get(guild_id)
        if state is None:
            state = GuildState(
                await approved_channel_ids(guild_id), tuple(await active_event_ids(guild_id))
            )
            self._state[guild_id] = state
        return state

    def forget(self, guild_id: int) -> None:
        self._state.pop(guild_id, None)

    @asynccontextmanager
    async def changing(self, guild_id: int) -> AsyncIterator[None]:
        """Hold the guild's voice events while channels or events change, then reload."""
        async with self._locks[guild_id]:
            try:
                yield
            finally:
                self.forget(guild_id)

    async def handle(self, event: VoiceStateEvent) -> None:
        """Apply one voice change: close the session being left, open the one being joined."""
        if event.is_bot or event.before_channel_id == event.after_channel_id:
            return
        async with self._locks[event.guild_id]:
            state = self._state.get(event.guild_id) or await self.state(event.guild_id)
            if not state.events:
                return
            afk = event.afk_channel_id
            left = state.counted(event.before_channel_id, afk)
            joined = state.counted(event.after_channel_id, afk)
            if left is not None and joined is not None:
                await sessions.move_session(
                    event.guild_id, state.events, event.user_id, joined, event.at
                )
            elif left is not None:
                await sessions.close_sessions(state.events, event.at, user_id=event.user_id)
            elif joined is not None:
                await sessions.open_session(
                    event.guild_id, state.events, event.user_id, joined, event.at
                )

    async def reconcile(self, snapshot: GuildSnapshot) -> ReconcileResult:
        """Bring open sessions in line with who is in voice now (the restart rule above)."""
        guild_id = snapshot.guild_id
        async with self.changing(guild_id):
            async with in_transaction():
                result = await reconcile(snapshot)
            self.watching.add(guild_id)
        return result


async def reconcile(snapshot: GuildSnapshot) -> ReconcileResult:
    guild_id, now = snapshot.guild_id, snapshot.at
    result = ReconcileResult()
    events = await MiningEvent.filter(guild_id=guild_id, status=EventStatus.ACTIVE).values_list(
        "id", "last_seen_at"
    )
    if not events:
        return result
    result.events = [event_id for event_id, _ in events]
    approved = await approved_channel_ids(guild_id)
    present = {
        m.user_id: m.channel_id
        for m in snapshot.in_voice
        if not m.is_bot and m.channel_id in approved and m.channel_id != snapshot.afk_channel_id
    }
    rows = await MiningParticipation.filter(event_id__in=result.events).values_list(
        "id", "event_id", "user_id", "channel_id", "session_start", "session_end"
    )
    last_seen = {event_id: seen for event_id, seen in events}
    for _, event_id, _, _, start, end in rows:
        latest = max(t for t in (start, end, last_seen[event_id]) if t is not None)
        last_seen[event_id] = min(latest, now)
    open_rows = [row for row in rows if row[5] is None]
    for event_id, _ in events:
        tracked: set[int] = set()
        for session_id, ev, user_id, channel_id, start, _ in open_rows:
            if ev != event_id:
                continue
            where = present.get(user_id)
            if where == channel_id:
                result.kept += 1
                tracked.add(user_id)
                continue
            end = now if where is not None else max(start, last_seen[event_id])
            await _close_one(session_id, start, end)
            result.closed += 1
        arrived = {u: c for u, c in present.items() if u not in tracked}
        if arrived:
            result.opened += await open_many(guild_id, event_id, arrived, now)
    await MiningEvent.filter(id__in=result.events).update(last_seen_at=now)
    return result


async def _close_one(session_id: int, start: datetime, end: datetime) -> None:
    seconds = max(0, round((end - start).total_seconds()))
    await MiningParticipation.filter(id=session_id, session_end__isnull=True).update(
        session_end=end, duration_seconds=seconds
    )


async def heartbeat(guild_ids: Iterable[int], at: datetime) -> int:
    """Record a sign of life on the active events of these guilds; how many were touched."""
    ids = list(guild_ids)
    if not ids:
        return 0
    return await MiningEvent.filter(guild_id__in=ids, status=EventStatus.ACTIVE).update(
        last_seen_at=at
    )


_trackers: weakref.WeakKeyDictionary[object, VoiceTracker] = weakref.WeakKeyDictionary()


def tracker_for(owner: object) -> VoiceTracker:
    """The tracker of one bot (each bot process has its own cache)."""
    tracker = _trackers.get(owner)
    if tracker is None:
        tracker = _trackers[owner] = VoiceTracker()
    return tracker
