"""Sign-in decisions with no I/O: which role a person gets, who may sign in, valid scopes."""

from __future__ import annotations

from shared.auth.principal import RANK

SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")
SCOPES = frozenset(f"{service}:{verb}" for service in SERVICES for verb in ("read", "write"))


def role_for(
    email: str,
    *,
    admins: set[str],
    known_role: str | None,
    first_user: bool,
    default_role: str,
    asked: str | None = None,
    listed_before: bool = False,
) -> str:
    """A configured admin is admin; dev mode grants what it asks; one who was admin only by
    the admin list and is no longer on it gets the default role (offboarding); a known user
    keeps the role they have; the very first user is admin (someone must manage keys); else
    default. Sign-in and every refresh ask again."""
    if email.lower() in admins:
        return "admin"
    if asked is not None:
        return asked
    if listed_before:
        return default_role
    if known_role in RANK:
        return known_role  # type: ignore[return-value]
    return "admin" if first_user else default_role


def email_allowed(email: str, *, domains: set[str], emails: set[str]) -> bool:
    """Dev mode's allow-list (no ``hd`` claim there: the address's domain). No list: anyone."""
    if not domains and not emails:
        return True
    email = email.lower()
    return email in emails or email.rpartition("@")[2] in domains


def bad_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in SCOPES]
