"""Discord's OAuth2 side (authorization-code flow, `identify`), for a portal signing users in.

- `GET /oauth2/authorize?client_id&redirect_uri&response_type=code&scope&state`: a page
  listing the world's people (not bots) to sign in as, each a button; a test or the demo picks
  one (`POST /oauth2/authorize` with `user_id`), and the browser is sent to
  `redirect_uri?code=…&state=…`.
- `POST /api/v10/oauth2/token`: a code for a bearer token; refused (Discord's
  `invalid_grant` / `invalid_client`) for an unknown or reused code, a redirect URI other than
  the one authorized, or a wrong client id or secret.
- `GET /api/v10/users/@me` with `Authorization: Bearer …`: that user.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import hdrs, web

from fakediscord import payloads

if TYPE_CHECKING:
    from fakediscord.entities import User
    from fakediscord.world import FakeDiscord

DEFAULT_CLIENT_SECRET = "fakediscord.client.secret"


@dataclass
class Grant:
    user_id: int
    redirect_uri: str
    used: bool = False


@dataclass
class OAuth2:
    world: FakeDiscord
    client_secret: str = DEFAULT_CLIENT_SECRET
    # the application's registered redirect URIs; empty means any (the first one used sticks
    # only to its code, as Discord checks the exchange against the authorize request)
    redirect_uris: list[str] = field(default_factory=list)
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)  # bearer token → user id

    @property
    def client_id(self) -> int:
        return self.world.application_id

    def people(self) -> list[User]:
        return sorted(
            (u for u in self.world.users.values() if not u.bot and u is not self.world.owner),
            key=lambda u: (u.name.casefold(), u.id),
        )

    def grant(self, user_id: int, redirect_uri: str) -> str:
        """A fresh code for `user_id` (what picking them on the authorize page does)."""
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(user_id, redirect_uri)
        return code

    def user_for_token(self, header: str | None) -> User | None:
        if not header or not header.startswith("Bearer "):
            return None
        user_id = self.tokens.get(header.removeprefix("Bearer "))
        return self.world.users.get(user_id) if user_id is not None else None

    # --- routes -----------------------------------------------------------------------------
    def routes(self, api_prefix: str) -> list[web.RouteDef]:
        return [
            web.get("/oauth2/authorize", self.authorize_page, allow_head=False),
            web.post("/oauth2/authorize", self.authorize_pick),
            web.post(f"{api_prefix}/oauth2/token", self.token),
        ]

    def _check_request(self, query: dict[str, str]) -> str | None:
        if query.get("client_id") != str(self.client_id):
            return "Unknown application (client_id)."
        if query.get("response_type") != "code":
            return "response_type must be code."
        if "identify" not in query.get("scope", "").split():
            return "scope must include identify."
        uri = query.get("redirect_uri", "")
        if not uri or (self.redirect_uris and uri not in self.redirect_uris):
            return "Invalid OAuth2 redirect_uri."
        return None

    async def authorize_page(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        problem = self._check_request(query)
        if problem:
            return web.Response(text=problem, status=400)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        buttons = "".join(
            f'<li><form method="post">{hidden}'
            f'<button type="submit" name="user_id" value="{u.id}">{html.escape(u.name)}</button>'
            "</form></li>"
            for u in self.people()
        )
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<link rel='icon' href='data:,'>"
            "<title>Discord stand-in: sign in</title></head><body>"
            "<h1>Discord stand-in</h1><p>Sign in to the portal as:</p>"
            f"<ul>{buttons}</ul></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def authorize_pick(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        problem = self._check_request(form)
        if problem:
            return web.Response(text=problem, status=400)
        try:
            user = self.world.users[int(form.get("user_id", ""))]
        except (KeyError, ValueError):
            return web.Response(text="No such user.", status=400)
        code = self.grant(user.id, form["redirect_uri"])
        back = {"code": code}
        if "state" in form:
            back["state"] = form["state"]
        sep = "&" if "?" in form["redirect_uri"] else "?"
        raise web.HTTPFound(f"{form['redirect_uri']}{sep}{urlencode(back)}")

    async def token(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get(hdrs.AUTHORIZATION, "")
        if auth.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id = secret = None
        if client_id != str(self.client_id) or secret != self.client_secret:
            return _oauth_error("invalid_client", 401)
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", 400)
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used or grant.redirect_uri != form.get("redirect_uri"):
            return _oauth_error("invalid_grant", 400)
        grant.used = True
        token = secrets.token_urlsafe(24)
        self.tokens[token] = grant.user_id
        return payloads_json(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 604800,
                "refresh_token": secrets.token_urlsafe(24),
                "scope": "identify",
            }
        )

    def me(self, user: User) -> web.Response:
        return payloads_json(payloads.user(user))


def payloads_json(data: dict[str, object], status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data), status=status, content_type="application/json")


def _oauth_error(error: str, status: int) -> web.Response:
    return payloads_json({"error": error}, status)
