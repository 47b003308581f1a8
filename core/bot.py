"""The discord.py adapter: turns gateway events and interactions into plugin calls.

It owns the two rules plugins must not have to remember: a plugin that is off in a guild has
no working commands and hears no events there, and a command runs only for callers at or above
its declared level. Errors a member can act on become ephemeral replies; anything else is
logged under a short id that the member is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from datetime import datetime
from typing import Any

import discord
from discord import app_commands

from core import command_sync, members, mentions, options
from core.clock import Clock, SystemClock
from core.config import Settings
from core.context import PluginContext
from core.enablement import Enablement
from core.errors import DatabaseOutage, PermissionDenied, PluginDisabled, UserError
from core.events import GuildSnapshot, MemberEvent, VoiceMember, VoiceStateEvent
from core.guild_sync import Batcher
from core.jobs import Jobs
from core.permissions import (
    Level,
    declared_level,
    is_org_member,
    level_of,
    seed_role_levels,
)
from core.plugins import PluginManager
from storage.change_feed import ChangeFeed

log = logging.getLogger(__name__)


class Refused(app_commands.CheckFailure):
    """A UserError raised by the central check, carried through discord.py's error path."""

    def __init__(self, error: UserError) -> None:
        super().__init__(error.message)
        self.error = error


def intents() -> discord.Intents:
    wanted = discord.Intents.default()  # guilds and voice states included
    wanted.members = True  # joins, role changes and names keep memberships in step
    return wanted


def member_info(settings: Settings, member: discord.Member) -> members.MemberInfo:
    role_ids = tuple(r.id for r in member.roles if not r.is_default())
    return members.MemberInfo(
        user_id=member.id,
        username=member.name,
        display_name=member.display_name,
        role_ids=role_ids,
        is_org_member=is_org_member(settings, member.guild.id, role_ids),
        is_guild_admin=is_guild_admin(member),
    )


def is_guild_admin(member: discord.Member) -> bool:
    perms = member.guild_permissions
    return perms.administrator or perms.manage_guild


# What Discord asks before it offers a command hidden from members in its picker: the same
# permission that makes a member an admin here. Officers and treasurers whose level comes from
# a mapped role see those commands once the server allows their role on them (Server Settings →
# Integrations → the bot); the bot's own level check stays the authority either way.
HIDDEN_BEHIND = discord.Permissions(manage_guild=True)


def hide_from_members(tree: app_commands.CommandTree[Any]) -> None:
    """Set `default_permissions` on each top-level command none of whose subcommands is for
    members (Discord shows or hides a whole top-level command, never one subcommand)."""
    for root in tree.get_commands(type=discord.AppCommandType.chat_input):
        leaves = (
            [c for c in root.walk_commands() if not isinstance(c, app_commands.Group)]
            if isinstance(root, app_commands.Group)
            else [root]
        )
        lowest = min((declared_level(c) or Level.EVERYONE for c in leaves), default=Level.EVERYONE)
        if lowest >= Level.OFFICER:
            root.default_permissions = HIDDEN_BEHIND


class RedLegionTree(app_commands.CommandTree["RedLegionBot"]):
    async def interaction_check(self, interaction: discord.Interaction[RedLegionBot]) -> bool:
        try:
            await self.client.check_command(interaction)
            if interaction.type is discord.InteractionType.application_command:
                options.check_options(interaction)
            elif interaction.type is discord.InteractionType.autocomplete:
                options.check_typing(interaction)  # half-typed: only the text rule applies
        except UserError as exc:
            raise Refused(exc) from None
        return True

    async def on_error(
        self, interaction: discord.Interaction[RedLegionBot], error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(original, Refused):
            original = original.error
        if interaction.type is discord.InteractionType.autocomplete:
            log.info("autocomplete refused: %s", original)
            if not interaction.response.is_done():  # no choices, rather than "loading failed"
                await interaction.response.autocomplete([])
            return
        if isinstance(original, UserError):
            message = mentions.render(original)  # its members as mentions, pinging nobody
        elif isinstance(original, app_commands.AppCommandError) and not isinstance(
            error, app_commands.CommandInvokeError
        ):
            message = str(original) or "That command could not run."
        else:
            error_id = uuid.uuid4().hex[:8]
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "error %s in /%s (guild %s, user %s)",
                error_id,
                command,
                interaction.guild_id,
                interaction.user.id,
                exc_info=original,
            )
            message = f"Something went wrong on our side (error id `{error_id}`)."
        await reply(interaction, message, ephemeral=True)


async def reply(interaction: discord.Interaction[Any], content: str, **kwargs: Any) -> None:
    """Answer an interaction whether or not it was deferred or answered already."""
    if interaction.response.is_done():
        await interaction.followup.send(content, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)


class RedLegionBot(discord.Client):
    def __init__(
        self,
        settings: Settings,
        plugins: PluginManager,
        *,
        clock: Clock | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("intents", intents())
        # every message pings nobody unless it names its members with mentions.about(...)
        options.setdefault("allowed_mentions", mentions.NOBODY)
        # Members are asked for after each guild is reconciled, not before ready: discord.py
        # sends at most 110 requests a minute per shard, so chunking 1,000 guilds first kept
        # the bot from its guilds for nine minutes. Who is in voice comes with each guild.
        options.setdefault("chunk_guilds_at_startup", False)
        super().__init__(**options)
        self.settings = settings
        self.plugins = plugins
        self.clock: Clock = clock or SystemClock()
        self.enablement = Enablement(settings, plugins)
        self.known_members = members.KnownMembers()
        # what this process caches is dropped when any process changes it (storage.change_feed)
        self.changes = ChangeFeed()
        self.changes.subscribe(self.enablement.changed)
        self.tree = RedLegionTree(self)
        # plugins' periodic work (discord.ext.tasks loops), cancelled on close
        self.jobs = Jobs(self.wait_until_ready)
        self._contexts: dict[str, PluginContext[Any]] = {}
        self._guild_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        # start-up in batches, one at a time: at most one pool connection (core.guild_sync)
        self._guild_sync: Batcher[discord.Guild] = Batcher(
            self._sync_guilds, key=lambda g: g.id, closed=self.is_closed
        )
        self._startup_batch = asyncio.Lock()  # the two below: one batch at a time in all
        self._member_sync: Batcher[discord.Guild] = Batcher(
            self._sync_members, key=lambda g: g.id, closed=self.is_closed
        )

    # -- start-up ------------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        await self.changes.start()  # before anything is cached
        self.register_commands()
        await self.sync_commands()
        for name, setup in self.plugins.impls("redlegion_setup"):
            await setup(bot=self, ctx=self.context(name))  # a failed setup stops the start

    def context(self, plugin: str) -> PluginContext[Any]:
        """`plugin`'s own context (`core.context`): its settings, the clock, background work
        and the services of the plugins it depends on."""
        if plugin not in self._contexts:
            loaded = self.plugins.plugins[plugin]
            self._contexts[plugin] = PluginContext(
                plugin,
                config=self.settings,
                clock=self.clock,
                jobs=self.jobs,
                enablement=self.enablement,
                services={
                    dep: self.plugins.plugins[dep].spec.service
                    for dep in loaded.spec.depends
                    if dep in self.plugins.plugins
                },
                ready=self.wait_until_ready,
            )
        return self._contexts[plugin]

    async def close(self) -> None:
        await self.jobs.close()
        await super().close()
        await self.changes.stop()

    def register_commands(self) -> None:
        """Put core's and every plugin's slash commands on the tree (nothing is sent yet).

        A plugin whose hook raises, or whose top-level command name is core's or an earlier
        plugin's, is left out with its dependents (`plugins.problems` says why): one plugin
        must not keep the bot from starting.
        """
        from core.commands import core_commands

        owners: dict[tuple[str, discord.AppCommandType], str] = {}
        for command in core_commands():
            self.tree.add_command(command)
            owners[_command_key(command)] = "core"
        for plugin, make in self.plugins.impls("redlegion_app_commands"):
            if plugin not in self.plugins.plugins:  # left out with a dependency meanwhile
                continue
            try:
                commands = list(make(bot=self, ctx=self.context(plugin)) or [])
                for command in commands:
                    key = _command_key(command)
                    if key in owners:
                        owner = "core" if owners[key] == "core" else f"plugin {owners[key]!r}"
                        reason = f"slash command /{key[0]} is already taken by {owner}"
                        self._leave_out(plugin, reason, owners)
                        break
                    command.extras["plugin"] = plugin
                    self.tree.add_command(command)
                    owners[key] = plugin
            except Exception as exc:
                reason = f"its redlegion_app_commands hook failed: {exc!r}"
                self._leave_out(plugin, reason, owners)
        options.bound_integer_options(self.tree)
        hide_from_members(self.tree)

    def _leave_out(
        self, plugin: str, reason: str, owners: dict[tuple[str, discord.AppCommandType], str]
    ) -> None:
        """Leave a plugin (and its dependents) out and take back the commands they added."""
        gone = set(self.plugins.leave_out(plugin, reason))
        for key in [k for k, owner in owners.items() if owner in gone]:
            del owners[key]
        for command in self.tree.get_commands():
            if command.extras.get("plugin") in gone:
                name, kind = _command_key(command)
                self.tree.remove_command(name, type=kind)

    async def sync_commands(self, *, force: bool = False, guild_id: int | None = None) -> list[str]:
        """Publish the tree where `[commands]` says (or to one guild), only where it changed
        since the last publication unless `force`; returns the scopes published."""
        sync = self.settings.commands
        if guild_id is not None:
            scopes: list[int | None] = [guild_id]
        elif sync.scope == "global":
            scopes = [None]
        elif sync.scope == "guilds":
            scopes = list(sync.guilds)
        else:
            scopes = []
        published = []
        for scope in scopes:
            guild = None if scope is None else discord.Object(id=scope)
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            payload = [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]
            assert self.application_id is not None  # known once logged in
            if await command_sync.publish_needed(
                self.application_id, scope, payload, force=force
            ) or not await self._published_as(payload, guild):
                await self.tree.sync(guild=guild)
                await command_sync.published(self.application_id, scope, payload, self.clock.now())
                published.append("global" if scope is None else str(scope))
            else:
                log.info("slash commands unchanged for %s: not synced", scope or "global")
        return published

    async def _published_as(
        self, payload: list[dict[str, Any]], guild: discord.abc.Snowflake | None
    ) -> bool:
        """Whether Discord holds the commands `payload` names: our digest says what we last
        sent, not what is there now (another application id, commands removed by hand)."""
        remote = await self.tree.fetch_commands(guild=guild)
        held = sorted((c.name, c.type.value) for c in remote)
        return held == sorted((c["name"], c.get("type", 1)) for c in payload)

    # -- commands ------------------------------------------------------------------------------

    async def check_command(self, interaction: discord.Interaction[RedLegionBot]) -> Level:
        """The central check: guild only, plugin on here, caller's level high enough."""
        guild = interaction.guild
        user = interaction.user
        if guild is None or not isinstance(user, discord.Member):
            raise UserError("Use this command in a server channel, not in direct messages.")
        command = interaction.command
        root = (
            (command.root_parent or command)
            if isinstance(command, app_commands.Command)
            else command  # a context menu has no parent
        )
        plugin = root.extras.get("plugin") if root else None
        if plugin and not await self.enablement.is_enabled(plugin, guild.id):
            raise PluginDisabled(f"The {plugin} plugin is turned off in this server.")
        await self.known_members.ensure(guild.id, member_info(self.settings, user), guild.name)
        needed = declared_level(command) or Level.EVERYONE
        have = await self.level_of(user)
        if have < needed:
            name = command.qualified_name if command else "this command"
            raise PermissionDenied(f"/{name} needs the {needed} level; you have {have}.")
        return have

    async def remember(self, member: discord.Member) -> None:
        """Give a member named in a command (not the caller) their user and membership rows,
        which ledger accounts, payouts and loans point at."""
        guild = member.guild
        await self.known_members.ensure(guild.id, member_info(self.settings, member), guild.name)

    async def level_of(self, member: discord.Member) -> Level:
        role_ids = [r.id for r in member.roles if not r.is_default()]
        return await level_of(
            self.settings, member.guild.id, role_ids, is_guild_admin=is_guild_admin(member)
        )

    # -- events to plugins -----------------------------------------------------------------------

    async def _dispatch(self, hook_name: str, guild_id: int, **kwargs: Any) -> None:
        """Call a hook on the plugins enabled in this guild, in dependency order."""
        enabled = await self.enablement.enabled(guild_id)
        await self._each(hook_name, enabled, f"guild {guild_id}", **kwargs)

    async def _each(
        self, hook_name: str, plugins: Iterable[str], where: str, **kwargs: Any
    ) -> None:
        """Call `hook_name` on each of `plugins` that implements it, in load order, each with
        the bot and its own context; a plugin's failure is logged and spares the others."""
        wanted = set(plugins)
        for name in self.plugins.names:
            if name in wanted:
                caller = self.plugins.hook_for(hook_name, (name,))
                for result in caller(bot=self, ctx=self.context(name), **kwargs):
                    await _run_logged(result, hook_name, where)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._guild_available(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._guild_available(guild)

    async def _guild_available(self, guild: discord.Guild) -> None:
        """Ready in a guild: its rows and plugins' reconciliation first (who is in voice
        came with the guild), then every member, at the gateway's pace."""
        if not await self._guild_sync.available(guild):
            return
        self.dispatch("redlegion_guild_handled", guild.id)
        if not guild.chunked:
            await guild.chunk()
        if await self._member_sync.available(guild):
            self.dispatch("redlegion_members_handled", guild.id)

    @contextlib.asynccontextmanager
    async def _holding(self, guilds: Sequence[discord.Guild]) -> AsyncIterator[None]:
        """Hold these guilds' voice and member events (their per-guild locks), one start-up
        batch at a time (reconciliation's or members')."""
        async with self._startup_batch, contextlib.AsyncExitStack() as held:
            for guild in guilds:
                await held.enter_async_context(self._guild_locks[guild.id])
            yield

    async def _sync_guilds(self, guilds: Sequence[discord.Guild]) -> None:
        """One batch of start-up: core's rows for every guild and the members Discord sent
        with it, then each plugin's reconciliation."""
        async with self._holding(guilds):
            await self._write_members(guilds, named=True)
            ids = [g.id for g in guilds]
            await seed_role_levels(self.settings, ids)
            await self.enablement.load(ids)
            now = self.clock.now()  # one moment for the batch: its sign of life in one write
            await self._dispatch_available([self.snapshot(g, at=now) for g in guilds])

    async def _sync_members(self, guilds: Sequence[discord.Guild]) -> None:
        """One batch of guilds whose members have all arrived (chunked): their rows."""
        async with self._holding(guilds):
            await self._write_members(guilds, named=False)

    async def _write_members(self, guilds: Sequence[discord.Guild], *, named: bool) -> None:
        humans = {g.id: [member_info(self.settings, m) for m in g.members] for g in guilds}
        await members.sync_guilds(
            [members.GuildRows(g.id, g.name if named else None, humans[g.id]) for g in guilds]
        )
        for guild in guilds:
            self.known_members.mark_guild(guild.id)
            self.known_members.mark(guild.id, (m.user_id for m in humans[guild.id]))

    async def _dispatch_available(self, snapshots: list[GuildSnapshot]) -> None:
        """Each plugin, in load order, hears the guilds of the batch where it is on: all at
        once (`redlegion_guilds_available`) when it implements that, else one by one."""
        enabled = {s.guild_id: set(await self.enablement.enabled(s.guild_id)) for s in snapshots}
        batch_hook = {name for name, _ in self.plugins.impls("redlegion_guilds_available")}
        for plugin in self.plugins.names:
            mine = [s for s in snapshots if plugin in enabled[s.guild_id]]
            if not mine:
                continue
            if plugin in batch_hook:
                await self._each(
                    "redlegion_guilds_available", (plugin,), f"{len(mine)} guilds", guilds=mine
                )
                continue
            for snapshot in mine:
                await self._each(
                    "redlegion_guild_available",
                    (plugin,),
                    f"guild {snapshot.guild_id}",
                    guild=snapshot,
                )

    def snapshot(self, guild: discord.Guild, *, at: datetime | None = None) -> GuildSnapshot:
        in_voice = tuple(
            VoiceMember(m.id, m.voice.channel.id, m.bot, m.display_name)
            for m in guild.members
            if m.voice is not None and m.voice.channel is not None
        )
        return GuildSnapshot(
            guild_id=guild.id,
            name=guild.name,
            afk_channel_id=guild.afk_channel.id if guild.afk_channel else None,
            voice_channel_ids=frozenset(c.id for c in guild.voice_channels),
            in_voice=in_voice,
            at=at or self.clock.now(),
            voice_channel_names={c.id: c.name for c in guild.voice_channels},
        )

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        before_id = before.channel.id if before.channel else None
        after_id = after.channel.id if after.channel else None
        guild = member.guild
        event = VoiceStateEvent(
            guild_id=guild.id,
            user_id=member.id,
            before_channel_id=before_id,
            after_channel_id=after_id,
            is_bot=member.bot,
            afk_channel_id=guild.afk_channel.id if guild.afk_channel else None,
            at=self.clock.now(),
            display_name=member.display_name,
        )
        try:
            if before_id != after_id:
                # one guild's voice events are handled in arrival order
                async with self._guild_locks[guild.id]:
                    if not member.bot:
                        # in an outage the plugins hear the change all the same, and note it
                        with contextlib.suppress(DatabaseOutage):
                            await self.known_members.ensure(
                                guild.id, member_info(self.settings, member), guild.name
                            )
                    await self._dispatch("redlegion_voice_state_update", guild.id, event=event)
        finally:
            self.dispatch("redlegion_voice_handled", event)

    async def _member_event(self, member: discord.Member, kind: str) -> None:
        info = member_info(self.settings, member)
        guild = member.guild
        async with self._guild_locks[guild.id]:  # after the guild's own start-up sync
            if kind == "left":
                await members.member_left(guild.id, member.id)
                self.known_members.forget(guild.id, member.id)
            elif not member.bot:
                await self.known_members.ensure_guild(guild.id, guild.name)
                await members.upsert_members(guild.id, [info])
                self.known_members.mark(guild.id, [member.id])
        event = MemberEvent(
            guild_id=member.guild.id,
            user_id=member.id,
            kind=kind,  # type: ignore[arg-type]
            username=member.name,
            display_name=member.display_name,
            role_ids=info.role_ids,
            is_bot=member.bot,
            at=self.clock.now(),
        )
        await self._dispatch("redlegion_member_update", member.guild.id, event=event)
        self.dispatch("redlegion_member_handled", event)

    async def on_member_join(self, member: discord.Member) -> None:
        await self._member_event(member, "joined")

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        await self._member_event(after, "updated")

    async def on_member_remove(self, member: discord.Member) -> None:
        await self._member_event(member, "left")


def check_commands(settings: Settings, plugins: PluginManager) -> None:
    """Build the slash-command tree offline, as start-up would, so that `redlegion plugins list`
    and `config check` report the plugins start-up would leave out for their commands."""
    voice_warnings = logging.getLogger("discord.client")  # "PyNaCl is not installed": no voice
    level = voice_warnings.level
    voice_warnings.setLevel(logging.ERROR)
    try:
        bot = RedLegionBot(settings, plugins)
    finally:
        voice_warnings.setLevel(level)
    bot.register_commands()


def _command_key(command: Any) -> tuple[str, discord.AppCommandType]:
    """A top-level command's name is unique per type (slash, user menu, message menu)."""
    return command.name, getattr(command, "type", discord.AppCommandType.chat_input)


class ShardedRedLegionBot(RedLegionBot, discord.AutoShardedClient):
    """The bot on discord.py's shards: this process runs `shard_ids` of `shard_count`.

    Discord routes each guild to one shard, so every per-guild job (reconciliation, the
    heartbeat, the overdue check, announcements) runs where its guild's events arrive: in
    exactly one process, as long as no two processes run the same shard (`InstanceLock`).
    """


def make_bot(settings: Settings, plugins: PluginManager, **options: Any) -> RedLegionBot:
    """The bot as `[discord]` asks: one connection, or the shards given (`shard_count`)."""
    discord_settings = settings.discord
    if discord_settings.shard_count is None:
        return RedLegionBot(settings, plugins, **options)
    count = discord_settings.shard_count
    return ShardedRedLegionBot(
        settings,
        plugins,
        shard_count=None if count == "auto" else count,
        shard_ids=discord_settings.shard_ids,
        **options,
    )


async def recommended_shard_count(token: str) -> int:
    """How many shards Discord recommends for this bot (`shard_count = "auto"`), asked before
    the process claims its shards: discord.py would only ask once connecting."""
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(token)
        count, _url, _limits = await http.get_bot_gateway()
    finally:
        await http.close()
    return int(count)


async def _run_logged(result: Awaitable[Any] | Any, hook_name: str, where: str) -> None:
    """Await a plugin's hook; its failure is logged (`where`: in which guilds) and spares
    the other plugins."""
    if not isinstance(result, Awaitable):
        return
    try:
        await result
    except Exception:
        log.exception("plugin hook %s failed in %s", hook_name, where)
