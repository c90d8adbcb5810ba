"""The field catalogue and the `GET /api/v1/segments/fields` description."""

import json

from shared.rules.fields import FIELDS, OPERATORS, fields_description


def test_every_contract_field_is_catalogued_with_its_type() -> None:
    types = {name: spec.type for name, spec in FIELDS.items()}
    assert types == {
        "total_spend": "number",
        "visits": "integer",
        "last_visit_at": "date",
        "first_visit_at": "date",
        "created_at": "date",
        "name": "text",
        "email": "text",
        "city": "text",
        "phone": "text",
    }


def test_operators_by_type() -> None:
    assert FIELDS["total_spend"].operators == (
        "=", "!=", "<", "<=", ">", ">=", "between", "null", "notNull",
    )  # fmt: skip
    assert FIELDS["last_visit_at"].operators == (
        "before", "after", "between", "inLastDays", "notInLastDays", "null", "notNull",
    )  # fmt: skip
    assert FIELDS["city"].operators == (
        "=", "!=", "contains", "beginsWith", "in", "null", "notNull",
    )  # fmt: skip


def test_description_is_json_and_complete() -> None:
    body = fields_description()
    json.dumps(body)  # JSON-able as is
    by_name = {f["name"]: f for f in body["fields"]}
    assert set(by_name) == set(FIELDS)
    spend = by_name["total_spend"]
    assert spend["inputType"] == "number" and spend["type"] == "number"
    assert spend["label"] and spend["nullable"] is False
    assert [o["name"] for o in spend["operators"]] == list(FIELDS["total_spend"].operators)
    assert all(o["label"] for f in body["fields"] for o in f["operators"])
    last = by_name["last_visit_at"]
    assert last["inputType"] == "date" and last["nullable"] is True
    ops = {o["name"]: o for o in last["operators"]}
    assert ops["inLastDays"]["inputType"] == "number"  # a number of days, not a date
    assert ops["null"]["arity"] == "unary" and ops["between"]["arity"] == "ternary"
    assert by_name["email"]["inputType"] == "text"
    assert body["limits"]["maxDepth"] == 5 and body["limits"]["maxRules"] == 100


def test_every_operator_is_used_by_some_type() -> None:
    used = {op for spec in FIELDS.values() for op in spec.operators}
    assert used == set(OPERATORS)
