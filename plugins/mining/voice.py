"""Participation from voice: joins, moves and leaves open and close sessions.

The hot path. Per guild, the approved channels and the active events are cached in memory
(loaded on first use, dropped whenever any process changes channels or events: the change
feed, `storage.change_feed`; rebuilt from the database after a restart), so a voice event
costs only the writes it needs: a leave is one UPDATE, a join one INSERT, a move between
mining channels both (one statement on PostgreSQL). A guild's voice events arrive in order
(core holds a per-guild lock); officers' changes take this tracker's lock for the guild so a
voice event never sees half of one.

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

A database outage is downtime too: the bot still sees voice, but cannot write what it sees.
A voice change that fails with `DatabaseOutage` marks the guild suspect from that moment (its
first failed write; the heartbeat skips suspect guilds so nothing later passes for a sign of
life). When the database answers again (a probe with backoff, or the guild's next voice
change) the guild is reconciled by the rule above against who is in voice then, with the
first failed write as the bot's last sign of life: a leaver's time ends there, a joiner counts
from the reconciliation, a mover is closed and reopened at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.transactions import in_transaction

from core.errors import DatabaseOutage
from core.events import GuildSnapshot, VoiceStateEvent
from plugins.mining import sessions, topics
from plugins.mining.channels import approved_channel_ids, approved_channels_of
from plugins.mining.events import active_event_ids, open_many
from plugins.mining.models import EventStatus, MiningEvent, MiningParticipation
from storage.change_feed import Change
from storage.database import reachable

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


Snapshots = Callable[[int], GuildSnapshot | None]


class VoiceTracker:
    """Turns one bot's voice events into sessions; holds that bot's per-guild cache.

    `snapshots(guild_id)` gives who is in voice in a guild now (None when the bot no longer
    sees it): a guild suspect after an outage is reconciled against it at its next voice
    change, and, when `closed` says when to stop, by a probe of the database with backoff.
    Without it an outage is only reconciled by the guild's next restart.
    """

    # the probe after an outage: first wait, then doubled up to the longest
    PROBE_FIRST_SECONDS = 0.05
    PROBE_LONGEST_SECONDS = 5.0

    def __init__(
        self, snapshots: Snapshots | None = None, *, closed: Callable[[], bool] | None = None
    ) -> None:
        self._state: dict[int, GuildState] = {}
        # bumped by each drop, so a load that began before a change never stores its result
        self._generation: defaultdict[int, int] = defaultdict(int)
        self._epoch = 0
        self._refreshing: set[asyncio.Task[None]] = set()
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._held: set[int] = set()  # guilds whose lock `changing()` holds now
        # guilds reconciled since start: only there is the bot's sign of life true
        self.watching: set[int] = set()
        # guilds whose voice changes could not be written: since the first that failed
        self.suspect: dict[int, datetime] = {}
        # when each guild was last reconciled: a change seen before it is in that snapshot
        self._settled: dict[int, datetime] = {}
        self.snapshots = snapshots
        self._closed = closed
        self._probe: asyncio.Task[None] | None = None

    def follow(self, snapshots: Snapshots, closed: Callable[[], bool]) -> None:
        """Where to read voice now when reconciling after an outage, and when to stop."""
        self.snapshots, self._closed = snapshots, closed

    def beating(self) -> set[int]:
        """The guilds whose sign of life the heartbeat may record: watched and not suspect."""
        return self.watching - self.suspect.keys()

    async def state(self, guild_id: int) -> GuildState:
        state = self._state.get(guild_id)
        if state is None:
            seen = (self._epoch, self._generation[guild_id])
            state = GuildState(
                await approved_channel_ids(guild_id), tuple(await active_event_ids(guild_id))
            )
            if seen == (self._epoch, self._generation[guild_id]):
                self._state[guild_id] = state
        return state

    def forget(self, guild_id: int) -> None:
        self._generation[guild_id] += 1
        self._state.pop(guild_id, None)

    def changed(self, change: Change) -> None:
        """A change-feed listener: drop what it names. An event started or stopped by
        another process, or in this one without the guild's lock (the portal beside the
        bot), or everything after the feed was away, is reconciled against voice now, so
        members already in mining channels count from then."""
        if not (change.about(topics.CHANNELS) or change.about(topics.EVENTS)):
            return
        if change.guild_id is None:
            self._epoch += 1
            self._state.clear()
            guilds = list(self.beating())
        else:
            self.forget(change.guild_id)
            guilds = [change.guild_id] if change.guild_id in self.beating() else []
        if not change.about(topics.EVENTS) or self.snapshots is None:
            return
        if change.local and change.guild_id in self._held:
            # made under `changing()` (a slash command), which gave the service who is in
            # voice; a change made here without it (the portal inside `redlegion run`) is
            # reconciled like one from another process
            return
        for guild_id in guilds:
            task = asyncio.get_running_loop().create_task(
                self._refresh(guild_id), name="mining-refresh"
            )
            self._refreshing.add(task)
            task.add_done_callback(self._refreshing.discard)

    async def _refresh(self, guild_id: int) -> None:
        try:
            async with self.changing(guild_id):
                snapshot = self.snapshots(guild_id) if self.snapshots is not None else None
                if snapshot is not None and guild_id not in self.suspect:
                    await self._reconcile([snapshot])
        except DatabaseOutage:
            pass  # the outage is the tracker's own business: its next voice change finds it
        except Exception:
            log.exception("reconciling guild %s after a change elsewhere failed", guild_id)

    @asynccontextmanager
    async def changing(self, guild_id: int) -> AsyncIterator[None]:
        """Hold the guild's voice events while channels or events change, then reload."""
        async with self._locks[guild_id]:
            self._held.add(guild_id)
            try:
                yield
            finally:
                self._held.discard(guild_id)
                self.forget(guild_id)

    async def handle(self, event: VoiceStateEvent) -> None:
        """Apply one voice change: close the session being left, open the one being joined.

        In a suspect guild the change is not applied on its own: the guild is reconciled
        against voice now, which this change is part of.
        """
        if event.is_bot or event.before_channel_id == event.after_channel_id:
            return
        if event.guild_id in self.suspect:
            await self.recover(event.guild_id)
            return
        try:
            async with self._locks[event.guild_id]:
                settled = self._settled.get(event.guild_id)
                if settled is not None and event.at < settled:
                    return  # seen before the snapshot the guild was reconciled with
                await self._apply(event)
        except DatabaseOutage:
            self._lost(event.guild_id, event.at)

    async def _apply(self, event: VoiceStateEvent) -> None:
        """The writes one voice change needs, the guild's lock held."""
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
        return (await self.reconcile_many([snapshot]))[snapshot.guild_id]

    async def reconcile_many(
        self, snapshots: Sequence[GuildSnapshot]
    ) -> dict[int, ReconcileResult]:
        """The restart rule for a batch of guilds (start-up hears them together), their locks
        held: the reads are the same few whatever the number of guilds."""
        async with contextlib.AsyncExitStack() as held:
            for guild_id in sorted({s.guild_id for s in snapshots}):  # one order: no deadlock
                await held.enter_async_context(self.changing(guild_id))
            return await self._reconcile(snapshots)

    async def _reconcile(self, snapshots: Sequence[GuildSnapshot]) -> dict[int, ReconcileResult]:
        """The restart rule, the guilds' locks held; a suspect guild's outage is its downtime."""
        since = {
            s.guild_id: self.suspect[s.guild_id] for s in snapshots if s.guild_id in self.suspect
        }
        async with in_transaction():
            results = await reconcile(snapshots, seen_until=since)
        for snapshot in snapshots:
            guild_id = snapshot.guild_id
            self.watching.add(guild_id)
            self._settled[guild_id] = snapshot.at
            if self.suspect.pop(guild_id, None) is not None:
                result = results[guild_id]
                log.warning(
                    "database back: guild %s reconciled for the outage since %s "
                    "(%d kept, %d closed, %d opened)",
                    guild_id, since[guild_id], result.kept, result.closed, result.opened,
                )  # fmt: skip
        return results

    def _lost(self, guild_id: int, at: datetime) -> None:
        """A voice change of the guild could not be written: reconcile it when the database
        is back, with the first such change as the bot's last sign of life."""
        if guild_id not in self.suspect:
            self.suspect[guild_id] = at
            log.warning(
                "database unavailable: voice changes in guild %s since %s are reconciled "
                "when it answers again",
                guild_id, at.isoformat(),
            )  # fmt: skip
        probing = self._probe is not None and not self._probe.done()
        if self.snapshots is not None and self._closed is not None and not probing:
            self._probe = asyncio.get_running_loop().create_task(
                self._probe_until_back(), name="mining-outage-probe"
            )

    async def recover(self, guild_id: int) -> bool:
        """Reconcile a suspect guild against voice now; False while the database is down.

        A guild the bot cannot see now stays suspect, for its next guild-available.
        """
        if guild_id not in self.suspect:
            return True
        async with self.changing(guild_id):
            if guild_id not in self.suspect:
                return True  # reconciled while this waited
            snapshot = self.snapshots(guild_id) if self.snapshots is not None else None
            if snapshot is None:
                return True  # nothing to read voice from now
            try:
                await self._reconcile([snapshot])
            except DatabaseOutage:
                return False
        return True

    def _waiting(self) -> list[int]:
        """Suspect guilds the bot sees now, so that they can be reconciled."""
        snapshots = self.snapshots
        return [g for g in self.suspect if snapshots is not None and snapshots(g) is not None]

    async def _probe_until_back(self) -> None:
        """Ask the database with growing pauses until it answers, then reconcile every
        suspect guild; ends when none is left or the bot closes."""
        delay = self.PROBE_FIRST_SECONDS
        closed = self._closed or (lambda: False)
        while not closed():
            await asyncio.sleep(delay)
            try:
                if await reachable():
                    for guild_id in self._waiting():
                        await self.recover(guild_id)
                    if not self._waiting():
                        return
            except Exception:
                log.exception("reconciling after a database outage failed; trying again")
            delay = min(delay * 2, self.PROBE_LONGEST_SECONDS)


async def reconcile(
    snapshots: Sequence[GuildSnapshot], *, seen_until: Mapping[int, datetime] | None = None
) -> dict[int, ReconcileResult]:
    """The restart rule for these guilds, in three reads whatever their number (the active
    events, the approved channels, the events' sessions), then only the writes that differ.
    `seen_until`: per guild, the bot saw its voice until then though it recorded nothing (a
    database outage began); it counts as a sign of life."""
    seen_until = seen_until or {}
    results = {s.guild_id: ReconcileResult() for s in snapshots}
    events = await MiningEvent.filter(
        guild_id__in=list(results), status=EventStatus.ACTIVE
    ).values_list("id", "guild_id", "last_seen_at")
    if not events:
        return results
    approved = await approved_channels_of(sorted({guild_id for _, guild_id, _ in events}))
    rows = await MiningParticipation.filter(event_id__in=[e for e, _, _ in events]).values_list(
        "id", "event_id", "user_id", "channel_id", "session_start", "session_end"
    )
    by_guild: dict[int, list[int]] = {}
    last_seen: dict[int, datetime | None] = {}
    for event_id, guild_id, seen in events:
        by_guild.setdefault(guild_id, []).append(event_id)
        outage = seen_until.get(guild_id)
        last_seen[event_id] = max((t for t in (seen, outage) if t is not None), default=None)
    now_of = {s.guild_id: s.at for s in snapshots}
    guild_of = {event_id: guild_id for event_id, guild_id, _ in events}
    for _, event_id, _, _, start, end in rows:
        latest = max(t for t in (start, end, last_seen[event_id]) if t is not None)
        last_seen[event_id] = min(latest, now_of[guild_of[event_id]])
    open_rows: dict[int, list[tuple[int, int, int, datetime]]] = {}
    for session_id, event_id, user_id, channel_id, start, end in rows:
        if end is None:
            open_rows.setdefault(event_id, []).append((session_id, user_id, channel_id, start))
    stamped: dict[datetime, list[int]] = {}
    for snapshot in snapshots:
        guild_id, now = snapshot.guild_id, snapshot.at
        if guild_id not in by_guild:
            continue
        result = results[guild_id]
        result.events = sorted(by_guild[guild_id])
        channels = approved.get(guild_id, frozenset())
        present = {
            m.user_id: m.channel_id
            for m in snapshot.in_voice
            if not m.is_bot and m.channel_id in channels and m.channel_id != snapshot.afk_channel_id
        }
        for event_id in result.events:
            tracked: set[int] = set()
            for session_id, user_id, channel_id, start in open_rows.get(event_id, []):
                where = present.get(user_id)
                if where == channel_id:
                    result.kept += 1
                    tracked.add(user_id)
                    continue
                sign_of_life = last_seen[event_id]
                end = now if where is not None else max(start, sign_of_life or start)
                await _close_one(session_id, start, end)
                result.closed += 1
            arrived = {u: c for u, c in present.items() if u not in tracked}
            if arrived:
                result.opened += await open_many(guild_id, event_id, arrived, now)
        stamped.setdefault(now, []).extend(result.events)
    for now, event_ids in stamped.items():
        await MiningEvent.filter(id__in=event_ids).update(last_seen_at=now)
    return results


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
