"""Sessions: sign a person in (Google or dev mode), refresh, sign out; create and revoke
API keys. Campaigns is the one issuer of Beacon tokens; every service verifies them.

A session is a short-lived access token (EdDSA JWT) and a refresh token. Refresh tokens
are random, stored as their SHA-256, rotated on every refresh and revoked on sign-out;
presenting one that was already rotated away revokes all of that person's sessions (it was
copied by someone).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.campaigns.domain import events
from services.campaigns.domain.accounts import role_for
from services.campaigns.settings import CampaignsSettings
from services.campaigns.store import accounts, keys
from services.campaigns.store.tables import outbox as outbox_table
from shared import outbox
from shared.auth import apikeys
from shared.auth.principal import AuthError, csv
from shared.auth.tokens import TokenService, UserClaims
from shared.db import retry_transient, unit_of_work


def dev_sign_in_enabled(settings: CampaignsSettings) -> bool:
    """Only with an explicit ``BEACON_ENV=development`` and no Google client id: never by a
    missing, misspelt or other value (``test``, ``production``)."""
    return settings.development and not settings.auth_google_client_id


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Sessions:
    engine: AsyncEngine
    tokens: TokenService
    settings: CampaignsSettings

    async def sign_in(
        self, *, sub: str, email: str, name: str, picture: str | None, asked: str | None
    ) -> dict[str, Any]:
        """Record the person (keyed by ``sub``), decide their role, open a session.

        Serializable, so two first sign-ins at once cannot both find no user and both
        become admin: their reads of the empty table lock it, their inserts deadlock, and
        the one MariaDB rolls back is retried, then finds the other's row."""
        return await retry_transient(
            lambda: self._sign_in(sub=sub, email=email, name=name, picture=picture, asked=asked),
            what="sign_in",
            attempts=5,
        )

    async def _sign_in(
        self, *, sub: str, email: str, name: str, picture: str | None, asked: str | None
    ) -> dict[str, Any]:
        serializable = self.engine.execution_options(isolation_level="SERIALIZABLE")
        async with unit_of_work(serializable) as conn:
            known = await accounts.get_user(conn, sub, lock=True)
            role = role_for(
                email,
                admins=csv(self.settings.auth_admin_emails),
                known_role=known.role if known else None,
                first_user=known is None and not await accounts.any_user(conn),
                default_role=self.settings.auth_default_role,
                asked=asked,
            )
            values = {"sub": sub, "email": email, "name": name, "picture": picture, "role": role}
            await accounts.save_user(conn, values, known=known is not None)
            user = UserClaims(sub, email, name, picture, role)
            return await self._open(conn, user)

    async def _open(self, conn: Any, user: UserClaims) -> dict[str, Any]:
        refresh = secrets.token_urlsafe(32)
        await accounts.add_refresh(
            conn, _digest(refresh), user.sub, self.settings.auth_refresh_ttl_s
        )
        ttl = self.settings.auth_access_ttl_s
        return {
            "access_token": self.tokens.issue(user, ttl),
            "token_type": "bearer",
            "expires_in": ttl,
            "refresh_token": refresh,
            "user": user.as_user(),
        }

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        reused = False
        async with unit_of_work(self.engine) as conn:
            row = await accounts.lock_refresh(conn, _digest(refresh_token))
            if row is not None and row.rotated:
                reused = True
                await accounts.revoke_all_refresh(conn, row.sub)
            elif row is not None and not accounts.expired(row):
                user = await accounts.get_user(conn, row.sub)
                if user is not None:
                    await accounts.revoke_refresh(conn, row.token_hash, rotated=True)
                    claims = UserClaims(user.sub, user.email, user.name, user.picture, user.role)
                    return await self._open(conn, claims)
        if reused:
            raise AuthError("refresh_reused", "this refresh token was already used; sign in again")
        raise AuthError("refresh_invalid", "the refresh token is unknown, expired or revoked")

    async def sign_out(self, refresh_token: str) -> None:
        async with unit_of_work(self.engine) as conn:
            await accounts.revoke_refresh(conn, _digest(refresh_token))


class Keys:
    """API keys: the original rows here, their state announced for every service's copy."""

    def __init__(
        self, engine: AsyncEngine, notify: Callable[[], None], settings: CampaignsSettings
    ) -> None:
        self.engine = engine
        self.notify = notify  # wakes the outbox relay: copies hear of a change at once
        self.secret = apikeys.pepper(settings)

    async def create(self, name: str, scopes: list[str], actor: dict[str, Any]) -> dict[str, Any]:
        key = apikeys.new_key()
        async with unit_of_work(self.engine) as conn:
            row = await keys.insert(
                conn,
                {
                    "id": str(uuid.uuid4()),
                    "key_hash": apikeys.key_hash(self.secret, key),
                    "name": name,
                    "scopes": sorted(set(scopes)),
                    "created_by_sub": actor["sub"],
                    "created_by_email": actor["email"],
                },
            )
            state = apikeys.as_state(row)
            await outbox.add(
                conn, outbox_table, [events.api_key_changed(events.API_KEY_CREATED, state, actor)]
            )
        self.notify()
        return {**public(row), "key": key}

    async def list(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            return [public(row) for row in await keys.all_keys(conn)]

    async def revoke(self, key_id: str, actor: dict[str, Any]) -> bool:
        """False when there is no such key; revoking twice is harmless."""
        async with unit_of_work(self.engine) as conn:
            before = await keys.get(conn, key_id, lock=True)
            if before is None:
                return False
            if before.revoked_at is None:
                row = await keys.revoke(conn, key_id)
                event = events.api_key_changed(events.API_KEY_REVOKED, apikeys.as_state(row), actor)
                await outbox.add(conn, outbox_table, [event])
        self.notify()
        return True


def public(row: Any) -> dict[str, Any]:
    """A key as listed: never its hash."""
    state = apikeys.as_state(row)
    return {
        "id": state["id"],
        "name": state["name"],
        "scopes": state["scopes"],
        "created_at": state["created_at"],
        "revoked_at": state["revoked_at"],
        "last_used_at": apikeys.as_iso(row.last_used_at),
        "created_by": {"sub": row.created_by_sub, "email": row.created_by_email},
    }
