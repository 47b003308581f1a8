"""Portal sessions, server-side in `web_sessions`: revocable (log out deletes the row), expiring
on the injected clock, one CSRF token each. The cookie holds a random token; the table holds
only its keyed hash (HMAC-SHA256 with `[web] session_secret`, plain SHA-256 without one), so a
copy of the database (a backup) signs nobody in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from core.clock import Clock
from core.models import WebSession
from core.names import plain_name
from core.web.access import WITH_SESSION
from storage import sql

COOKIE = "redlegion_session"


# the session's user's names, read in the session's own query (every page reads the session
# and shows who is signed in: one query, not two)
_USERS = "LEFT JOIN users u ON u.id = web_sessions.user_id"
_USER_NAMES: tuple[tuple[str, str], ...] = (
    ("user_display_name", "u.display_name"),
    ("user_username", "u.username"),
)


# a session that has not signed in yet (it only carries the OAuth2 state) lives this long
PENDING_LIFETIME = timedelta(minutes=10)


@dataclass
class Sessions:
    clock: Clock
    lifetime: timedelta
    secret: bytes = b""

    def key(self, cookie: str) -> str:
        """What the table stores for a cookie's token."""
        if self.secret:
            return hmac.new(self.secret, cookie.encode(), hashlib.sha256).hexdigest()
        return hashlib.sha256(cookie.encode()).hexdigest()

    async def get(self, cookie: str | None, *, guild_id: int | None = None) -> WebSession | None:
        """The live session of this cookie, or None (unknown, forged or expired: all alike).

        With `guild_id`, the same statement reads the user's access to that guild, for
        `access.from_session`."""
        if not cookie or len(cookie) > 64:
            return None
        join, extra = _USERS, _USER_NAMES
        params: list[object] = [self.key(cookie)]
        if guild_id is not None:
            join, extra = f"{join} {WITH_SESSION[0]}", extra + WITH_SESSION[1]
            params.append(guild_id)
        session = await sql.first_model(
            WebSession, "web_sessions.id = $1", params, join=join, extra=extra
        )
        if session is None:
            return None
        if session.expires_at <= self.clock.now():
            await WebSession.filter(id=session.id).delete()
            return None
        return session

    @staticmethod
    def user_name(session: WebSession) -> str:
        """The signed-in member's name in words, as read with the session (`get`)."""
        assert session.user_id is not None
        display = getattr(session, "user_display_name", None)
        return plain_name(session.user_id, display, getattr(session, "user_username", None))

    async def start_sign_in(self, next_path: str | None) -> tuple[WebSession, str]:
        """A fresh pre-sign-in session holding the OAuth2 `state` it will send to Discord,
        and its cookie."""
        now = self.clock.now()
        cookie = secrets.token_urlsafe(32)
        session = await WebSession.create(
            id=self.key(cookie),
            user_id=None,
            csrf_token=secrets.token_urlsafe(32),
            oauth_state=secrets.token_urlsafe(32),
            next_path=next_path,
            created_at=now,
            expires_at=now + PENDING_LIFETIME,
        )
        return session, cookie

    async def take_state(self, cookie: str | None, state: str) -> WebSession | None:
        """The pre-sign-in session whose state this is, once only (the state is cleared)."""
        session = await self.get(cookie)
        if session is None or session.user_id is not None or not session.oauth_state:
            return None
        if not hmac.compare_digest(session.oauth_state, state):
            return None
        cleared = await WebSession.filter(id=session.id, oauth_state=session.oauth_state).update(
            oauth_state=None
        )
        return session if cleared else None

    async def sign_in(self, pending: WebSession, user_id: int) -> tuple[WebSession, str]:
        """A new session for the signed-in user, and its cookie (a new token: the pre-sign-in
        one is dropped, so a cookie planted before sign-in is worth nothing after it)."""
        await WebSession.filter(id=pending.id).delete()
        now = self.clock.now()
        cookie = secrets.token_urlsafe(32)
        session = await WebSession.create(
            id=self.key(cookie),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self.lifetime,
        )
        return session, cookie

    async def end(self, session_id: str) -> None:
        await WebSession.filter(id=session_id).delete()

    async def shown(self, session_id: str, count: int) -> None:
        """The first `count` flashes were shown on a page: drop them (not those queued since)."""
        session = await WebSession.filter(id=session_id).first()
        if session is not None and session.flashes:
            session.flashes = session.flashes[count:]
            await session.save(update_fields=["flashes"])

    async def add_flashes(self, session_id: str, flashes: list[dict[str, str]]) -> None:
        if not flashes:
            return
        session = await WebSession.filter(id=session_id).first()
        if session is not None:
            session.flashes = [*session.flashes, *flashes][-10:]
            await session.save(update_fields=["flashes"])


def csrf_ok(session: WebSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf_token, sent or "")
