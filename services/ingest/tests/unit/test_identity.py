"""One person per email: the identity directory's decisions, without a database."""

from __future__ import annotations

from datetime import datetime

from services.ingest.domain.identity import Directory, Row, normalise_email

NOW = datetime(2026, 12, 7, 10, 0)


def active(cid: str, email: str | None = None, name: str = "N", version: int = 1) -> Row:
    return Row(cid, "active", None, version, {"name": name, "email": email})


def test_emails_compare_trimmed_and_without_case() -> None:
    assert normalise_email("  Asha@Example.IN ") == "asha@example.in"
    assert normalise_email("") is None and normalise_email(None) is None


def test_a_customer_without_an_id_is_keyed_by_its_email_and_named_by_it() -> None:
    d = Directory([])
    outcome, cid = d.upsert({"email": " Ravi.K@Shop.IN "}, now=NOW, source="api")
    assert (outcome, cid) == ("new", "ravi.k@shop.in")
    row = d.rows[cid]
    assert (
        row.values["email"] == " Ravi.K@Shop.IN " or row.values["email"].strip() == "Ravi.K@Shop.IN"
    )
    assert row.values["name"] == "Ravi.K"


def test_upper_case_duplicate_email_is_the_same_person() -> None:
    d = Directory([])
    d.upsert({"email": "asha@x.in", "name": "Asha"}, now=NOW, source="api")
    outcome, cid = d.upsert({"email": "ASHA@X.IN", "phone": "+91 98"}, now=NOW, source="api")
    assert (outcome, cid) == ("updated", "asha@x.in")
    assert len([w for w in d.writes() if w.row.state == "active"]) == 1
    assert d.rows["asha@x.in"].values["phone"] == "+91 98"


def test_a_second_id_with_a_known_email_is_merged_and_kept_as_alias() -> None:
    d = Directory([active("C1", "asha@x.in", "Asha")])
    outcome, cid = d.upsert(
        {"customer_id": "C2", "email": "Asha@X.in", "city": "Pune"}, now=NOW, source="api"
    )
    assert (outcome, cid) == ("merged", "C1")
    assert d.rows["C2"].state == "merged" and d.rows["C2"].merged_into == "C1"
    assert d.rows["C1"].values["city"] == "Pune"
    assert d.merges == [("C2", "C1")]
    assert d.survivor("C2") is d.rows["C1"]


def test_a_shop_id_takes_over_a_guest_keyed_by_its_email() -> None:
    guest = active("asha@x.in", "asha@x.in", "Asha G")
    d = Directory([guest])
    outcome, cid = d.upsert(
        {"customer_id": "7210448300003", "email": "asha@x.in", "name": "Asha Rao"},
        now=NOW,
        source="shopify",
    )
    assert (outcome, cid) == ("merged", "7210448300003")
    assert d.rows["asha@x.in"].state == "merged"
    assert d.rows["asha@x.in"].merged_into == "7210448300003"
    assert d.rows["7210448300003"].values["name"] == "Asha Rao"
    assert d.by_email["asha@x.in"] == "7210448300003"
    # aliases go first: they give the email up before the survivor takes it
    assert [w.row.state for w in d.writes()] == ["merged", "active"]


def test_guest_order_creates_a_customer_and_later_orders_find_it() -> None:
    d = Directory([])
    first = d.order_owner(None, "Neha@Mail.com", "Neha S", now=NOW)
    assert (first.customer_id, first.known, first.created) == ("neha@mail.com", True, True)
    again = d.order_owner(None, " neha@mail.com", None, now=NOW)
    assert (again.customer_id, again.created) == ("neha@mail.com", False)
    assert d.rows["neha@mail.com"].values["name"] == "Neha S"


def test_an_order_with_an_unknown_id_and_a_known_email_keeps_the_id_as_alias() -> None:
    d = Directory([active("C1", "asha@x.in")])
    owner = d.order_owner("17", "asha@x.in", None, now=NOW)
    assert owner.customer_id == "C1"
    assert d.rows["17"].state == "merged" and d.rows["17"].merged_into == "C1"


def test_an_order_with_a_shop_id_takes_over_a_customer_keyed_by_email() -> None:
    # WooCommerce: the customers report has no id; an order names the user id.
    d = Directory([active("asha@x.in", "asha@x.in")])
    owner = d.order_owner("17", "Asha@X.in", None, now=NOW)
    assert owner.customer_id == "17"
    assert d.rows["asha@x.in"].merged_into == "17" and d.rows["17"].state == "active"


def test_an_order_naming_only_an_unknown_id_waits_for_its_customer() -> None:
    d = Directory([Row("C9", "pending")])
    owner = d.order_owner("C9", None, None, now=NOW)
    assert (owner.customer_id, owner.known) == ("C9", False)
    outcome, cid = d.upsert({"customer_id": "C9", "name": "Late"}, now=NOW, source="api")
    assert (outcome, cid) == ("new", "C9") and d.rows["C9"].state == "active"


def test_erased_people_are_not_brought_back() -> None:
    d = Directory([], erased={"gone@x.in", "C5"})
    assert d.upsert({"email": "GONE@x.in"}, now=NOW, source="api")[0] == "erased"
    assert d.order_owner("C5", None, None, now=NOW).customer_id is None
    assert d.order_owner(None, "gone@x.in", None, now=NOW).customer_id is None
    assert d.writes() == []


def test_left_out_fields_are_kept_and_null_clears() -> None:
    d = Directory(
        [
            Row(
                "C1",
                "active",
                None,
                3,
                {"name": "A", "email": None, "phone": "+9198", "city": "Pune"},
            )
        ]
    )
    assert d.upsert({"customer_id": "C1", "city": None}, now=NOW, source="api") == ("updated", "C1")
    values = d.rows["C1"].values
    assert (values["phone"], values["city"], values["name"]) == ("+9198", None, "A")
    assert (
        d.upsert({"customer_id": "C1", "phone": "+9198"}, now=NOW, source="api")[0] == "unchanged"
    )


def test_consent_records_when_and_where_only_when_it_changes() -> None:
    d = Directory([])
    given = datetime(2025, 1, 2)
    d.upsert(
        {"customer_id": "C1", "name": "A", "accepts_sms_marketing": True, "consent_at": given},
        now=NOW,
        source="shopify",
    )
    values = d.rows["C1"].values
    assert (values["sms_consent"], values["sms_consent_at"], values["sms_consent_source"]) == (
        True,
        given,
        "shopify",
    )
    d.upsert({"customer_id": "C1", "accepts_sms_marketing": True}, now=NOW, source="api")
    assert values["sms_consent_at"] == given  # said again: still when first given
    d.upsert({"customer_id": "C1", "accepts_sms_marketing": False}, now=NOW, source="api")
    assert (values["sms_consent"], values["sms_consent_at"], values["sms_consent_source"]) == (
        False,
        NOW,
        "api",
    )


def test_merging_repoints_older_aliases_to_the_survivor() -> None:
    d = Directory(
        [
            active("g@x.in", "g@x.in"),
            Row("old-id", "merged", "g@x.in", 2, {}),
        ]
    )
    d.upsert({"customer_id": "S1", "email": "g@x.in"}, now=NOW, source="api")
    assert d.rows["old-id"].merged_into == "S1"
    assert d.survivor("old-id") is d.rows["S1"]
