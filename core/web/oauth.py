"""Discord OAuth2, authorization-code flow with the `identify` scope: the URL the browser is
sent to, then the code exchanged for a token and the token for the user it belongs to.

`[web] oauth_base` / `api_base` point at Discord, or at the local stand-in in tests and the
demo, so the whole flow runs with no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from core.config import WebSettings

CALLBACK_PATH = "/auth/callback"
TIMEOUT = aiohttp.ClientTimeout(total=15)


class SignInFailed(Exception):
    """Discord refused the code or could not be reached; the message is for the user."""


@dataclass(frozen=True)
class DiscordUser:
    id: int
    username: str
    global_name: str | None


class OAuthClient:
    def __init__(self, web: WebSettings) -> None:
        self.web = web

    @property
    def redirect_uri(self) -> str:
        return self.web.base_url() + CALLBACK_PATH

    def authorize_url(self, state: str) -> str:
        query = urlencode(
            {
                "client_id": str(self.web.client_id or ""),
                "redirect_uri": self.redirect_uri,
                "response_type": "code",
                "scope": "identify",
                "state": state,
                "prompt": "none",
            }
        )
        return f"{self.web.oauth_base.rstrip('/')}/oauth2/authorize?{query}"

    async def user_for_code(self, code: str) -> DiscordUser:
        secret = self.web.client_secret.get_secret_value() if self.web.client_secret else ""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
        }
        auth = {"Authorization": aiohttp.encode_basic_auth(str(self.web.client_id or ""), secret)}
        api = self.web.api_base.rstrip("/")
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
                async with http.post(f"{api}/oauth2/token", data=form, headers=auth) as resp:
                    if resp.status != 200:
                        raise SignInFailed("Discord did not accept the sign-in; try again.")
                    token = (await resp.json(content_type=None)).get("access_token")
                if not isinstance(token, str) or not token:
                    raise SignInFailed("Discord did not accept the sign-in; try again.")
                headers = {"Authorization": f"Bearer {token}"}
                async with http.get(f"{api}/users/@me", headers=headers) as resp:
                    if resp.status != 200:
                        raise SignInFailed("Discord did not say who you are; try again.")
                    me = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise SignInFailed("Discord could not be reached; try again in a moment.") from None
        try:
            return DiscordUser(int(me["id"]), str(me["username"]), me.get("global_name"))
        except (KeyError, TypeError, ValueError):
            raise SignInFailed("Discord did not say who you are; try again.") from None
