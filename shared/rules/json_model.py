"""The audience rules as the APIs answer them (react-querybuilder's JSON, canonical: what
``rules_to_json`` writes), as pydantic models so the OpenAPI documents describe them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonDict, JsonSchemaValue
from pydantic_core import CoreSchema

RuleValue = str | int | float | bool | None | list[str | int | float | bool]


class RuleJson(BaseModel):
    """One condition: a field, an operator, a value (a list for ``between`` and ``in``)."""

    model_config = ConfigDict(title="RuleJson")

    field: str
    operator: str
    value: RuleValue = None


def _no_default(schema: JsonDict) -> None:
    schema.pop("default", None)


class RuleGroupJson(BaseModel):
    """A group of conditions and groups, joined by its combinator (``not``: negated)."""

    model_config = ConfigDict(title="RuleGroupJson", populate_by_name=True)

    combinator: str
    rules: list[RuleGroupJson | RuleJson]
    # Written only when true, as rules_to_json does (so the document names no default:
    # a generated type then says it may be absent).
    not_: bool = Field(
        default=False,
        alias="not",
        exclude_if=lambda negated: not negated,
        json_schema_extra=_no_default,
    )


class _DocumentedAsRuleGroup:
    """Documents a plain ``dict`` as :class:`RuleGroupJson` (a reference to its component)."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, _core: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(RuleGroupJson.__pydantic_core_schema__)


# A request's rules, documented as :class:`RuleGroupJson` but taken as the plain JSON:
# ``parse_rules`` checks it and names the path of each bad rule in its 422.
RulesInput = Annotated[dict[str, Any], _DocumentedAsRuleGroup]
