"""Audience-rule domain of the segments service: pure logic, no I/O.

fields    the field catalogue and `GET /fields` description
rules     parse/validate react-querybuilder JSON into `Group`/`Condition`, and back
sentence  a rule in plain words (`describe`), and one condition of it (`describe_node`)
evaluate  `matches` (one profile, reference) and `mask`/`count`/`sample_*` (columnar)
columns   `ProfileColumns`, the in-memory columnar store the columnar evaluator reads
"""

from shared.rules.fields import FIELDS, FieldSpec, fields_description
from shared.rules.rules import (
    Condition,
    ErrorItem,
    Group,
    Node,
    RuleError,
    parse_rules,
    rules_to_json,
)
from shared.rules.sentence import describe, describe_node

from .columns import ProfileColumns
from .evaluate import count, mask, matches, sample_customer_ids, sample_indices
from .profile import CustomerId, Profile

__all__ = [
    "FIELDS",
    "Condition",
    "CustomerId",
    "ErrorItem",
    "FieldSpec",
    "Group",
    "Node",
    "Profile",
    "ProfileColumns",
    "RuleError",
    "count",
    "describe",
    "describe_node",
    "fields_description",
    "mask",
    "matches",
    "parse_rules",
    "rules_to_json",
    "sample_customer_ids",
    "sample_indices",
]
