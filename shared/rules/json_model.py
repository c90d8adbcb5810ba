"""The audience rules as the APIs answer them (react-querybuilder's JSON, canonical: what
``rules_to_json`` writes), as pydantic models so the OpenAPI documents describe them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

RuleValue = str | int | float | bool | None | list[str | int | float | bool]


class RuleJson(BaseModel):
    """One condition: a field, an operator, a value (a list for ``between`` and ``in``)."""

    model_config = ConfigDict(title="RuleJson")

    field: str
    operator: str
    value: RuleValue = None


class RuleGroupJson(BaseModel):
    """A group of conditions and groups, joined by its combinator (``not``: negated)."""

    model_config = ConfigDict(title="RuleGroupJson", populate_by_name=True)

    combinator: str
    rules: list[RuleGroupJson | RuleJson]
    # Written only when true, as rules_to_json does.
    not_: bool = Field(default=False, alias="not", exclude_if=lambda negated: not negated)
