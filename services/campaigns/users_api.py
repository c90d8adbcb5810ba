"""``/api/v1/users``: the people who sign in, for admins (issue 25).

List them with their open sessions; change a role, disable or enable someone (``PATCH``);
end someone's sessions. Changes reach every service within a few seconds (see
``services.campaigns.users``). 404 for an unknown person, 409 for a change that would lock
the organisation out or that the settings decide.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from pydantic.json_schema import SkipJsonSchema

from services.campaigns.users import ChangeRefused, UserNotFound, Users
from shared.auth.dependency import Caller, access
from shared.errors import ApiError, invalid_field, responses

Role = Literal["viewer", "marketer", "admin"]


class UserOut(BaseModel):
    sub: str
    email: str
    name: str
    role: Role
    role_from_settings: bool = Field(
        description="admin because of BEACON_AUTH_ADMIN_EMAILS: change the list, not the person"
    )
    disabled: bool
    disabled_at: str | None
    created_at: str | None
    last_sign_in_at: str | None
    open_sessions: int = Field(ge=0, description="sessions that can still refresh")


class UserList(BaseModel):
    items: list[UserOut]
    next_cursor: None = None


class UserChange(BaseModel):
    # At least one of the two, neither null: what the route checks, the document says.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    role: Role | SkipJsonSchema[None] = None
    disabled: StrictBool | SkipJsonSchema[None] = Field(
        default=None, description="true ends every session at once; false lets them sign in"
    )

    @field_validator("role", "disabled", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave it out rather than send null")
        return value


def build_router(users: Users) -> APIRouter:
    router = APIRouter(prefix="/api/v1/users", tags=["users"])
    admin = access("admin", scope=None)

    @router.get("", openapi_extra=admin, response_model=UserList)
    async def list_users() -> UserList:
        return UserList(items=[UserOut(**u) for u in await users.list()])

    @router.patch(
        "/{sub}", openapi_extra=admin, response_model=UserOut, responses=responses(404, 409)
    )
    async def change_user(sub: str, body: UserChange, who: Caller) -> UserOut:
        if body.role is None and body.disabled is None:
            raise invalid_field("body", "name a role or disabled")
        try:
            return UserOut(
                **await users.change(
                    _sub(sub), role=body.role, disabled=body.disabled, actor=who.actor()
                )
            )
        except UserNotFound:
            raise ApiError(404, f"no user {sub[:80]!r}") from None
        except ChangeRefused as error:
            raise ApiError(409, str(error)) from None

    @router.post(
        "/{sub}/end-sessions",
        openapi_extra=admin,
        response_model=UserOut,
        responses=responses(404),
        summary="Sign this person out everywhere (tokens refused within seconds)",
    )
    async def end_sessions(sub: str, who: Caller) -> UserOut:
        try:
            return UserOut(**await users.end_sessions(_sub(sub), who.actor()))
        except UserNotFound:
            raise ApiError(404, f"no user {sub[:80]!r}") from None

    return router


def _sub(raw: str) -> str:
    if len(raw) > 255:
        raise ApiError(404, f"no user {raw[:80]!r}")
    return raw
