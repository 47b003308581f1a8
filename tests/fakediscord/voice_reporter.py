"""A bot process for the kill-and-restart test: a plain discord.py client pointed at the stand-in
by environment (as `redlegion run` is), printing one JSON line per thing it sees."""

from __future__ import annotations

import json
import os

import discord
import discord.gateway
import discord.http
import yarl


def main() -> None:
    discord.http.Route.BASE = os.environ["REDLEGION_DISCORD_API_BASE"]
    gateway = yarl.URL(os.environ["REDLEGION_DISCORD_GATEWAY_URL"])
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
    intents = discord.Intents.default()
    intents.members = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)

    def say(**line: object) -> None:
        print(json.dumps(line), flush=True)

    @client.event
    async def on_ready() -> None:
        in_voice = {
            m.name: m.voice.channel.name
            for g in client.guilds
            for m in g.members
            if m.voice is not None and m.voice.channel is not None
        }
        say(ready=in_voice)

    @client.event
    async def on_voice_state_update(
        member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        say(voice=[member.name, after.channel.name if after.channel else None])

    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
