"""What segments' HTTP routes answer, as models, so its OpenAPI document describes each body."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.rules.fields import Arity, FieldType
from shared.rules.json_model import RuleGroupJson


class OperatorOut(BaseModel):
    name: str
    label: str
    arity: Arity
    inputType: str | None = Field(default=None, description="when not the field's own")


class FieldOut(BaseModel):
    """A field rules can name, as react-querybuilder wants it, with its operators."""

    name: str
    label: str
    type: FieldType
    inputType: str
    nullable: bool
    operators: list[OperatorOut]


class RuleLimits(BaseModel):
    maxDepth: int
    maxRules: int
    maxInItems: int
    maxDays: int
    maxTextLength: int


class FieldCatalogue(BaseModel):
    fields: list[FieldOut]
    limits: RuleLimits


class SampleCustomer(BaseModel):
    customer_id: str
    name: str | None


class ConditionCount(BaseModel):
    """How many customers one top-level condition (or subgroup) matches on its own."""

    index: int = Field(description="its place in the top group's rules")
    sentence: str = Field(description='the condition in words, e.g. "spent more than ₹10,000"')
    size: int | None = Field(description="null while the cache loads (SQL would be too slow)")


class Preview(BaseModel):
    """An audience's exact size now, a few of its members, what each top-level condition
    matches alone, and the rule as one sentence."""

    size: int
    sample: list[SampleCustomer]
    took_ms: float
    source: Literal["cache", "sql"] = Field(description="sql while the cache loads")
    sentence: str = Field(
        description='e.g. "Customers who spent more than ₹10,000 and visited at most 3 times"'
    )
    conditions: list[ConditionCount]


class Profile(BaseModel):
    """A customer's profile (money as a decimal string, times in UTC)."""

    customer_id: str
    name: str | None
    total_spend: str
    visits: int
    first_visit_at: str | None
    last_visit_at: str | None
    updated_at: str | None


class Author(BaseModel):
    sub: str
    email: str | None


class SegmentOut(BaseModel):
    """A saved segment; ``size`` (lists only) is its size now, None while the cache loads."""

    id: str
    name: str
    rules: RuleGroupJson
    created_at: str
    updated_at: str
    created_by: Author | None
    updated_by_email: str | None
    last_used_at: str | None = Field(description="the last campaign launched with it")
    size: int | None = None


class SegmentList(BaseModel):
    items: list[SegmentOut]
    next_cursor: str | None


class Member(BaseModel):
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    city: str | None
    total_spend: str
    visits: int
    last_visit_at: str | None


class MemberList(BaseModel):
    items: list[Member]
    next_cursor: str | None
