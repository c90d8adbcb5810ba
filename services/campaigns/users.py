"""People who sign in, managed by an admin: list them, change a role, disable or enable
one, end someone's sessions (issue 25).

Ending sessions revokes the person's refresh tokens and records a cut-off (campaigns'
``session_cutoffs``, announced as ``user.sessions_ended``) before which their access tokens
stop counting in every service within a few seconds (shared.auth.cutoffs). A role change
records a cut-off too but keeps the refresh tokens: the dashboard's next call gets a 401,
refreshes, and carries the new role. Nobody can demote or disable themselves, nor the last
admin, so an organisation cannot lock itself out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.campaigns.domain import events
from services.campaigns.settings import CampaignsSettings
from services.campaigns.store import accounts
from services.campaigns.store.tables import outbox as outbox_table
from services.campaigns.store.tables import session_cutoffs
from shared import outbox
from shared.auth.apikeys import as_iso
from shared.auth.cutoffs import apply_cutoff
from shared.auth.principal import csv
from shared.db import unit_of_work


class UserNotFound(LookupError):
    pass


class ChangeRefused(ValueError):
    """A change that would lock someone out or that the settings decide (a 409)."""


@dataclass
class Users:
    engine: AsyncEngine
    notify: Callable[[], None]  # wakes the outbox relay: the services hear at once
    settings: CampaignsSettings

    async def list(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            return [self._view(row) for row in await accounts.list_users(conn)]

    async def change(
        self, sub: str, *, role: str | None, disabled: bool | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        async with unit_of_work(self.engine) as conn:
            user = await accounts.get_user(conn, sub, lock=True)
            if user is None:
                raise UserNotFound(sub)
            new_role = role if role is not None and role != user.role else None
            disable = disabled is True and user.disabled_at is None
            await self._refuse_lockout(conn, user, actor, new_role=new_role, disable=disable)
            if new_role is not None:
                role = new_role
                await accounts.set_role(conn, sub, role, None)
                change = events.user_role_changed(sub, user.email, user.role, role, "admin")
                await outbox.add(conn, outbox_table, [change])
                if not disable:  # the next refresh brings the new role
                    await self._cut_off(conn, user, "role_changed", actor)
            if disable:
                await accounts.set_disabled(conn, sub, True)
                await accounts.revoke_all_refresh(conn, sub)
                await self._cut_off(conn, user, "disabled", actor)
            elif disabled is False and user.disabled_at is not None:
                await accounts.set_disabled(conn, sub, False)
        self.notify()
        return await self.get(sub)

    async def end_sessions(self, sub: str, actor: dict[str, Any]) -> dict[str, Any]:
        async with unit_of_work(self.engine) as conn:
            user = await accounts.get_user(conn, sub, lock=True)
            if user is None:
                raise UserNotFound(sub)
            await accounts.revoke_all_refresh(conn, sub)
            await self._cut_off(conn, user, "ended", actor)
        self.notify()
        return await self.get(sub)

    async def get(self, sub: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            for row in await accounts.list_users(conn):
                if row.sub == sub:
                    return self._view(row)
        raise UserNotFound(sub)

    async def _refuse_lockout(
        self,
        conn: AsyncConnection,
        user: Any,
        actor: dict[str, Any],
        *,
        new_role: str | None,
        disable: bool,
    ) -> None:
        if new_role is None and not disable:
            return
        if user.sub == actor["sub"]:
            raise ChangeRefused("you cannot change your own role or disable yourself")
        if new_role is not None and user.email.lower() in csv(self.settings.auth_admin_emails):
            raise ChangeRefused(
                f"{user.email} is admin by BEACON_AUTH_ADMIN_EMAILS: take them off that list"
            )
        losing_admin = disable or (new_role is not None and new_role != "admin")
        if (
            user.role == "admin"
            and losing_admin
            and await accounts.active_admins(conn) == [user.sub]
        ):
            raise ChangeRefused("this is the last admin; make someone else admin first")

    async def _cut_off(
        self, conn: AsyncConnection, user: Any, why: str, actor: dict[str, Any]
    ) -> None:
        at = accounts.now()
        await apply_cutoff(conn, session_cutoffs, user.sub, at)
        ended = events.user_sessions_ended(user.sub, user.email, at, why, actor)
        await outbox.add(conn, outbox_table, [ended])

    def _view(self, row: Any) -> dict[str, Any]:
        return {
            "sub": row.sub,
            "email": row.email,
            "name": row.name,
            "role": row.role,
            # The role follows BEACON_AUTH_ADMIN_EMAILS: change the list, not the person.
            "role_from_settings": row.email.lower() in csv(self.settings.auth_admin_emails),
            "disabled": row.disabled_at is not None,
            "disabled_at": as_iso(row.disabled_at),
            "created_at": as_iso(row.created_at),
            "last_sign_in_at": as_iso(row.last_sign_in_at),
            "open_sessions": int(row.open_sessions or 0),
        }
