"""The message template language, shared by campaigns (validates at creation) and delivery
(renders per recipient), so both agree on what a template means.

``Hi {name|there}, here's 10% off!``: placeholders are ``{name}``, ``{first_name}``,
``{email}``, ``{phone}``, ``{customer_id}``; ``{field|fallback}`` uses the fallback when
the value is missing or blank (without one, a missing value renders as an empty string,
except ``{name}``/``{first_name}``, which fall back to ``there``). ``{{`` and ``}}`` are
literal braces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDERS = ("name", "first_name", "email", "phone", "customer_id")
DEFAULT_FALLBACK = {"name": "there", "first_name": "there"}


class TemplateError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Slot:
    field: str
    fallback: str | None


Part = str | Slot


@dataclass(frozen=True)
class Template:
    parts: tuple[Part, ...]


def parse_template(text: str) -> Template:
    """Parse, collecting every problem (unknown placeholder, unbalanced brace)."""
    parts: list[Part] = []
    errors: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if text.startswith("{{", i) or text.startswith("}}", i):
            literal.append(ch)
            i += 2
        elif ch == "}":
            errors.append(f"unmatched '}}' at position {i}")
            i += 1
        elif ch == "{":
            end = text.find("}", i + 1)
            if end < 0:
                errors.append(f"unclosed '{{' at position {i}")
                break
            name, _, fallback = text[i + 1 : end].partition("|")
            name = name.strip()
            if name not in PLACEHOLDERS:
                errors.append(
                    f"unknown placeholder {{{name}}}; use one of "
                    + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                )
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Slot(name, fallback if "|" in text[i + 1 : end] else None))
            i = end + 1
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    if errors:
        raise TemplateError(errors)
    return Template(tuple(parts))


def _value(field: str, recipient: Mapping[str, Any]) -> str:
    if field == "first_name":
        name = str(recipient.get("name") or "").strip()
        return name.split()[0] if name else ""
    return str(recipient.get(field) or "").strip()


def render(template: Template, recipient: Mapping[str, Any]) -> str:
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = _value(part.field, recipient)
        if not value:
            value = (
                part.fallback if part.fallback is not None else DEFAULT_FALLBACK.get(part.field, "")
            )
        out.append(value)
    return "".join(out)
