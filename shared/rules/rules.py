"""Typed audience-rule trees, parsed from (and written back to) the JSON that
react-querybuilder produces.

`parse_rules` is the only validating entry point: it turns untrusted JSON into a
`Group` whose every `Condition.value` is already normalised to the field's Python
type, so evaluators and the SQL compiler never re-check or re-convert values:

    number  (total_spend)  Decimal, at most 2 decimal places (paise)
    integer (visits)       int
    date                   aware UTC datetime (a date or naive datetime means UTC)
    text                   str, stripped; `in` → tuple[str, ...]
    between                (low, high) of the field's type, low <= high
    inLastDays / notInLastDays   int days
    null / notNull         None

Errors are collected, not raised at the first one, so the UI can mark every bad
rule at once; each names the JSON path to the offending key, e.g.
`rules[1].rules[0].operator` (the root object itself is the empty path "").

`rules_to_json` writes the canonical JSON (no ids, lower-case combinators, typed
values) that a saved segment stores; `parse_rules(rules_to_json(g)) == g`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, TypedDict

from .fields import FIELDS, MAX_DEPTH, MAX_IN_ITEMS, MAX_RULES, OPERATORS, FieldSpec, get_field
from .values import SCALAR_CONVERTERS, Scalar, to_days, to_text

Combinator = Literal["and", "or"]
Value = Scalar | tuple[Scalar, ...] | None


@dataclass(frozen=True, slots=True)
class Condition:
    """One leaf: `field operator value`, value normalised as the module doc says."""

    field: str
    operator: str
    value: Value = None


@dataclass(frozen=True, slots=True)
class Group:
    """`and`/`or` of one or more nodes; `negate` is NOT of the whole group."""

    combinator: Combinator
    rules: tuple[Node, ...]
    negate: bool = False  # react-querybuilder's `"not": true`


Node = Group | Condition


class ErrorItem(TypedDict):
    path: str
    message: str


class RuleError(ValueError):
    """Invalid rule JSON; `errors` lists every problem found, each with its path."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['path'] or '<root>'}: {e['message']}" for e in errors))


# Keys react-querybuilder may send that carry no meaning for us ("disabled" only
# while false). Anything else is rejected so a typo ("operater") cannot silently
# change what a segment selects.
_IGNORED_KEYS = frozenset({"id", "path", "disabled"})
_GROUP_KEYS = frozenset({"combinator", "rules", "not"}) | _IGNORED_KEYS
_RULE_KEYS = frozenset({"field", "operator", "value", "valueSource"}) | _IGNORED_KEYS


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Parser:
    def __init__(self) -> None:
        self.errors: list[ErrorItem] = []
        self.conditions = 0
        self.overflow_path: str | None = None  # path of condition MAX_RULES + 1

    def error(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def check_keys(self, data: dict[Any, Any], allowed: frozenset[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                self.error(_join(path, str(key)), f"unknown key {key!r}")
        if data.get("disabled", False) is not False:
            self.error(_join(path, "disabled"), "disabled rules are not supported")

    def group(self, data: object, path: str, depth: int) -> Group | None:
        if not isinstance(data, dict):
            self.error(path, "expected a group object with 'combinator' and 'rules'")
            return None
        before = len(self.errors)
        self.check_keys(data, _GROUP_KEYS, path)
        combinator = data.get("combinator")
        if not (isinstance(combinator, str) and combinator.lower() in ("and", "or")):
            self.error(_join(path, "combinator"), "combinator must be 'and' or 'or'")
        negate = data.get("not", False)
        if not isinstance(negate, bool):
            self.error(_join(path, "not"), "'not' must be true or false")
        rules_path = _join(path, "rules")
        items = data.get("rules")
        if not isinstance(items, list):
            self.error(rules_path, "'rules' must be a list")
            return None
        if not items:
            self.error(rules_path, "a group needs at least one rule")
        children: list[Node] = []
        for i, item in enumerate(items):
            child_path = f"{rules_path}[{i}]"
            node: Node | None
            if isinstance(item, dict) and "rules" in item:
                if depth >= MAX_DEPTH:
                    self.error(child_path, f"groups nest at most {MAX_DEPTH} levels deep")
                    continue
                node = self.group(item, child_path, depth + 1)
            else:
                node = self.condition(item, child_path)
            if node is not None:
                children.append(node)
        if len(self.errors) > before:
            return None
        assert isinstance(combinator, str) and isinstance(negate, bool)
        comb: Combinator = "and" if combinator.lower() == "and" else "or"
        return Group(comb, tuple(children), negate)

    def condition(self, data: object, path: str) -> Condition | None:
        if not isinstance(data, dict):
            self.error(path, "expected a rule object (field, operator, value) or a group")
            return None
        self.conditions += 1
        if self.conditions == MAX_RULES + 1:
            self.overflow_path = path
        before = len(self.errors)
        self.check_keys(data, _RULE_KEYS, path)
        field_name, op = data.get("field"), data.get("operator")
        spec = get_field(field_name)
        if spec is None:
            self.error(
                _join(path, "field"),
                f"unknown field {field_name!r}; expected one of {', '.join(FIELDS)}",
            )
        if not (isinstance(op, str) and op in OPERATORS):
            self.error(_join(path, "operator"), f"unknown operator {op!r}")
        elif spec is not None and op not in spec.operators:
            self.error(
                _join(path, "operator"),
                f"operator {op!r} does not apply to {spec.type} field {spec.name!r}; "
                f"expected one of {', '.join(spec.operators)}",
            )
        if data.get("valueSource", "value") != "value":
            # Comparing two fields ("valueSource": "field") is not in the contract.
            self.error(_join(path, "valueSource"), "only valueSource 'value' is supported")
        if len(self.errors) > before or spec is None or not isinstance(op, str):
            return None
        try:
            value = self.value(spec, op, data, _join(path, "value"))
        except _ValueProblem as problem:
            self.error(problem.path, problem.message)
            return None
        return Condition(spec.name, op, value)

    def value(self, spec: FieldSpec, op: str, data: dict[Any, Any], path: str) -> Value:
        if op in ("null", "notNull"):
            return None  # react-querybuilder keeps a stale value here; ignore it
        if "value" not in data:
            raise _ValueProblem(path, "a value is required")
        raw = data["value"]
        if op in ("inLastDays", "notInLastDays"):
            return _at(path, to_days, raw)
        if op == "between":
            return self.between(spec, raw, path)
        if op == "in":
            return self.in_list(raw, path)
        return _at(path, SCALAR_CONVERTERS[spec.type], raw)

    def between(self, spec: FieldSpec, raw: object, path: str) -> tuple[Scalar, Scalar]:
        # react-querybuilder sends "low,high" by default, [low, high] with listsAsArrays.
        parts, paths = _split(raw, path)
        if len(parts) != 2:
            raise _ValueProblem(path, "between needs two values: [low, high] or 'low,high'")
        convert = SCALAR_CONVERTERS[spec.type]
        low, high = (_at(p, convert, part) for p, part in zip(paths, parts, strict=True))
        if low > high:  # both of the field's one type
            raise _ValueProblem(path, "between needs low <= high")
        return (low, high)

    def in_list(self, raw: object, path: str) -> tuple[str, ...]:
        parts, paths = _split(raw, path)
        if len(parts) > MAX_IN_ITEMS:
            raise _ValueProblem(path, f"'in' takes at most {MAX_IN_ITEMS} values")
        seen: dict[str, str] = {}  # casefold → first spelling: comparisons ignore case
        for p, part in zip(paths, parts, strict=True):
            if isinstance(part, str) and not part.strip():
                continue  # "Pune, Delhi," from a comma-separated input
            item = _at(p, to_text, part)
            seen.setdefault(item.casefold(), item)
        if not seen:
            raise _ValueProblem(path, "'in' needs at least one value")
        return tuple(seen.values())


class _ValueProblem(Exception):
    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message


def _at(path: str, convert: Callable[[object], Scalar], raw: object) -> Any:
    try:
        return convert(raw)
    except ValueError as exc:
        raise _ValueProblem(path, str(exc)) from None


def _split(raw: object, path: str) -> tuple[list[object], list[str]]:
    """Items of a list value (paths `value[i]`) or of a comma-separated string."""
    if isinstance(raw, list | tuple):
        return list(raw), [f"{path}[{i}]" for i in range(len(raw))]
    if isinstance(raw, str):
        parts: list[object] = list(raw.split(","))
        return parts, [path] * len(parts)
    raise _ValueProblem(path, f"expected a list or comma-separated text, got {type(raw).__name__}")


def parse_rules(data: object) -> Group:
    """Validate react-querybuilder JSON into a normalised `Group` or raise `RuleError`."""
    parser = _Parser()
    group = parser.group(data, "", depth=1)
    if parser.overflow_path is not None:
        parser.error(
            parser.overflow_path,
            f"too many rules: at most {MAX_RULES} in a segment, found {parser.conditions}",
        )
    if parser.errors or group is None:
        raise RuleError(parser.errors)
    return group


# --- canonical JSON -------------------------------------------------------------------


def _scalar_json(value: Scalar) -> Any:
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        # A float if it reads back as the same decimal (always so for 2-place amounts
        # below 1e13), else a string so no paisa is lost.
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def rules_to_json(node: Node) -> dict[str, Any]:
    """Canonical react-querybuilder JSON for a tree (what a saved segment stores)."""
    if isinstance(node, Group):
        out: dict[str, Any] = {
            "combinator": node.combinator,
            "rules": [rules_to_json(child) for child in node.rules],
        }
        if node.negate:
            out["not"] = True
        return out
    value = node.value
    if isinstance(value, tuple):
        json_value: Any = [_scalar_json(v) for v in value]
    else:
        json_value = None if value is None else _scalar_json(value)
    return {"field": node.field, "operator": node.operator, "value": json_value}
