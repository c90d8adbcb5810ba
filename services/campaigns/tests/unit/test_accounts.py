"""Who gets which role, who may use dev sign-in, which key scopes exist (no I/O)."""

from __future__ import annotations

from services.campaigns.domain.accounts import bad_scopes, email_allowed, role_for


def role(email: str = "a@x.in", **kwargs: object) -> str:
    base: dict[str, object] = {
        "admins": set(),
        "known_role": None,
        "first_user": False,
        "default_role": "marketer",
    }
    return role_for(email, **{**base, **kwargs})  # type: ignore[arg-type]


def test_roles() -> None:
    assert role(first_user=True) == "admin"  # someone must be able to manage keys
    assert role() == "marketer"
    assert role(default_role="viewer") == "viewer"
    assert role(known_role="viewer", first_user=True) == "viewer"  # a known user keeps theirs
    assert role("Boss@X.in", admins={"boss@x.in"}, known_role="viewer") == "admin"
    assert role(asked="viewer", first_user=True) == "viewer"  # dev mode grants what it asks


def test_an_admin_taken_off_the_admin_list_is_demoted() -> None:
    """Issue 25: a removed admin stayed admin for ever."""
    demoted = role("boss@x.in", admins={"new@x.in"}, known_role="admin", listed_before=True)
    assert demoted == "marketer"
    assert role("boss@x.in", admins={"boss@x.in"}, known_role="admin", listed_before=True) == (
        "admin"
    )
    # An admin by another way (the first user, say) is not the list's to take away.
    assert role("ana@x.in", admins={"new@x.in"}, known_role="admin") == "admin"


def test_dev_allow_list() -> None:
    assert email_allowed("anyone@anywhere.com", domains=set(), emails=set())
    assert email_allowed("a@shop.in", domains={"shop.in"}, emails=set())
    assert email_allowed("Me@Gmail.com", domains={"shop.in"}, emails={"me@gmail.com"})
    assert not email_allowed("a@evilshop.in", domains={"shop.in"}, emails=set())


def test_scopes() -> None:
    assert bad_scopes(["ingest:write", "stats:read"]) == []
    assert bad_scopes(["ingest:admin", "root"]) == ["ingest:admin", "root"]
