"""Who is calling: a signed-in person (with one role) or a system (an API key with scopes)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Hierarchical: each role can do everything the roles before it can.
ROLES = ("viewer", "marketer", "admin")
RANK = {role: n for n, role in enumerate(ROLES)}


class AuthError(Exception):
    """A request that cannot be authenticated (401) or is not allowed (403).

    ``code`` is a stable machine-readable reason; ``message`` is safe to show (it never
    repeats the token)."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Principal:
    sub: str
    kind: str  # "user" or "key"
    email: str | None = None
    name: str | None = None
    picture: str | None = None
    role: str | None = None  # users
    scopes: frozenset[str] = field(default_factory=frozenset)  # keys
    expires_at: float | None = None  # users: the token's exp (the WebSocket closes then)
    issued_at: float | None = None  # users: when the token was issued (session cut-offs)

    def has_role(self, role: str) -> bool:
        return self.kind == "user" and RANK.get(self.role or "", -1) >= RANK[role]

    def actor(self) -> dict[str, str | None]:
        """What audit events and ``created_by`` record about the caller."""
        if self.kind == "key":
            return {"sub": f"key:{self.sub}", "email": None}
        return {"sub": self.sub, "email": self.email}


def csv(value: str) -> set[str]:
    """A comma-separated setting as a set of lower-case, trimmed entries."""
    return {part.strip().lower() for part in value.split(",") if part.strip()}
