"""Sessions: sign a person in (Google or dev mode), refresh, sign out; create and revoke
API keys. Campaigns is the one issuer of Beacon tokens; every service verifies them.

A session is a short-lived access token (EdDSA JWT) and a refresh token. Refresh tokens
are random, stored as their SHA-256, rotated on every refresh and revoked on sign-out;
presenting one that was already rotated away revokes all of that person's sessions (it was
copied by someone). The tokens one sign-in's rotations produce are a *family*: sign-out,
authenticated by the refresh token itself, ends that family only. A session ends
``auth_session_max_s`` after its sign-in however often it is refreshed, and every refresh
asks the allow-list and the admin list again (a removed person cannot refresh; an admin
taken off the list gets the default role).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.campaigns.domain import events
from services.campaigns.domain.accounts import email_allowed, role_for
from services.campaigns.settings import CampaignsSettings
from services.campaigns.store import accounts, keys
from services.campaigns.store.tables import outbox as outbox_table
from shared import outbox
from shared.auth import apikeys
from shared.auth.principal import AuthError, csv
from shared.auth.tokens import TokenService, UserClaims
from shared.db import retry_transient, unit_of_work

ADMIN_LIST = "admin_list"  # users.role_source: admin because of BEACON_AUTH_ADMIN_EMAILS


def now() -> datetime:
    return accounts.now()


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
        self,
        *,
        sub: str,
        email: str,
        name: str,
        picture: str | None,
        asked: str | None,
        method: str = "google",
        ip: str | None = None,
    ) -> dict[str, Any]:
        """Record the person (keyed by ``sub``), decide their role, open a session.

        Serializable, so two first sign-ins at once cannot both find no user and both
        become admin: their reads of the empty table lock it, their inserts deadlock, and
        the one MariaDB rolls back is retried, then finds the other's row."""
        return await retry_transient(
            lambda: self._sign_in(
                sub=sub, email=email, name=name, picture=picture, asked=asked, method=method, ip=ip
            ),
            what="sign_in",
            attempts=5,
        )

    async def _sign_in(
        self,
        *,
        sub: str,
        email: str,
        name: str,
        picture: str | None,
        asked: str | None,
        method: str,
        ip: str | None,
    ) -> dict[str, Any]:
        serializable = self.engine.execution_options(isolation_level="SERIALIZABLE")
        async with unit_of_work(serializable) as conn:
            known = await accounts.get_user(conn, sub, lock=True)
            if known is not None and known.disabled_at is not None:
                raise AuthError("user_disabled", "an administrator disabled this account", 403)
            admins = csv(self.settings.auth_admin_emails)
            role = role_for(
                email,
                admins=admins,
                known_role=known.role if known else None,
                first_user=known is None and not await accounts.any_user(conn),
                default_role=self.settings.auth_default_role,
                asked=asked,
                listed_before=bool(known and known.role_source == ADMIN_LIST),
            )
            values = {
                "sub": sub,
                "email": email,
                "name": name,
                "picture": picture,
                "role": role,
                "role_source": ADMIN_LIST if email.lower() in admins else None,
            }
            await accounts.save_user(conn, values, known=known is not None)
            audit = [events.user_signed_in(sub, email, method, role, ip)]
            if known is not None and known.role != role:
                audit.append(events.user_role_changed(sub, email, known.role, role, "sign_in"))
            await outbox.add(conn, outbox_table, audit)
            user = UserClaims(sub, email, name, picture, role)
            return await self._open(conn, user, family=uuid.uuid4().hex, started_at=now())

    async def _open(
        self, conn: Any, user: UserClaims, *, family: str, started_at: datetime
    ) -> dict[str, Any]:
        refresh = secrets.token_urlsafe(32)
        await accounts.add_refresh(
            conn,
            _digest(refresh),
            user.sub,
            self.settings.auth_refresh_ttl_s,
            family=family,
            started_at=started_at,
            session_max_s=self.settings.auth_session_max_s,
        )
        ttl = self.settings.auth_access_ttl_s
        return {
            "access_token": self.tokens.issue(user, ttl),
            "token_type": "bearer",
            "expires_in": ttl,
            "refresh_token": refresh,
            "user": user.as_user(),
        }

    async def refresh(self, refresh_token: str, ip: str | None = None) -> dict[str, Any]:
        refused: AuthError | None = None
        async with unit_of_work(self.engine) as conn:
            row = await accounts.lock_refresh(conn, _digest(refresh_token))
            if row is not None and row.rotated:
                refused = AuthError(
                    "refresh_reused", "this refresh token was already used; sign in again"
                )
                await accounts.revoke_all_refresh(conn, row.sub)
                owner = await accounts.get_user(conn, row.sub)
                reuse = events.session_refresh_reused(row.sub, owner.email if owner else None, ip)
                await outbox.add(conn, outbox_table, [reuse])
            elif row is not None and not accounts.expired(row):
                user = await accounts.get_user(conn, row.sub, lock=True)
                refused = self._still_allowed(user)
                if refused is not None:
                    await accounts.revoke_all_refresh(conn, row.sub)
                else:
                    assert user is not None
                    role = self._role_now(user)
                    if role != user.role or user.role_source != self._source(user.email):
                        await accounts.set_role(conn, user.sub, role, self._source(user.email))
                    if role != user.role:
                        why = "admin_list" if user.role_source == ADMIN_LIST else "refresh"
                        change = events.user_role_changed(
                            user.sub, user.email, user.role, role, why
                        )
                        await outbox.add(conn, outbox_table, [change])
                    await accounts.revoke_refresh(conn, row.token_hash, rotated=True)
                    claims = UserClaims(user.sub, user.email, user.name, user.picture, role)
                    return await self._open(
                        conn,
                        claims,
                        family=row.family or uuid.uuid4().hex,
                        started_at=row.session_started_at or row.created_at,
                    )
        raise refused or AuthError(
            "refresh_invalid", "the refresh token is unknown, expired or revoked"
        )

    def _still_allowed(self, user: Any) -> AuthError | None:
        """Why ``user`` may no longer refresh (gone, or off the allow-list), or None."""
        if user is None:
            return AuthError("refresh_invalid", "the refresh token's user is gone")
        if user.disabled_at is not None:
            return AuthError("user_disabled", "an administrator disabled this account", 403)
        domains = csv(self.settings.auth_allowed_domains)
        emails = csv(self.settings.auth_allowed_emails)
        if not email_allowed(user.email, domains=domains, emails=emails):
            return AuthError("not_allowed", "this account is no longer on the allow-list")
        return None

    def _role_now(self, user: Any) -> str:
        return role_for(
            user.email,
            admins=csv(self.settings.auth_admin_emails),
            known_role=user.role,
            first_user=False,
            default_role=self.settings.auth_default_role,
            listed_before=user.role_source == ADMIN_LIST,
        )

    def _source(self, email: str) -> str | None:
        return ADMIN_LIST if email.lower() in csv(self.settings.auth_admin_emails) else None

    async def sign_out(self, refresh_token: str, caller: str | None = None) -> None:
        """End the session ``refresh_token`` belongs to (its whole family, nobody else's).

        The refresh token is the credential: an expired access token does not stand in the
        way. ``caller``, the subject of a valid access token sent along, must be its owner."""
        async with unit_of_work(self.engine) as conn:
            row = await accounts.lock_refresh(conn, _digest(refresh_token))
            if row is None:
                raise AuthError("refresh_invalid", "the refresh token is unknown")
            if caller is not None and caller != row.sub:
                raise AuthError("not_yours", "this refresh token belongs to someone else", 403)
            await accounts.revoke_family(conn, row)


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
