"""Message templates: ``Hi {first_name|there}, here's 10% off!``.

The grammar, which campaigns validates with at creation and delivery renders with:

- ``{field}`` is replaced by the recipient's value; ``field`` is one of :data:`FIELDS`
  (spaces around it are ignored).
- ``{field|fallback}`` uses ``fallback`` (taken literally, up to the next ``}``) when the
  value is missing or blank. Without a fallback a missing value renders as nothing,
  except ``{name}`` and ``{first_name}``, which say ``there`` ("Hi there!").
- ``{{`` and ``}}`` are a literal ``{`` and ``}``; any other lone brace is an error.

Shared because two services must agree on it exactly: a template campaigns accepts is
one delivery can render. Pure functions on plain data, standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FIELDS: tuple[str, ...] = ("name", "first_name", "email", "phone", "customer_id")
# What a name placeholder without a fallback says when the name is unknown.
DEFAULT_FALLBACK: dict[str, str] = {"name": "there", "first_name": "there"}


class TemplateError(ValueError):
    """A template that cannot be rendered; ``errors`` says every problem, with positions."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Placeholder:
    field: str
    fallback: str | None = None


Part = str | Placeholder


@dataclass(frozen=True)
class Template:
    """A parsed template: literal text and placeholders, in order."""

    parts: tuple[Part, ...]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(p.field for p in self.parts if isinstance(p, Placeholder))


def parse_template(text: str) -> Template:
    """Parse ``text``; raise :class:`TemplateError` listing every problem found."""
    parts: list[Part] = []
    errors: list[str] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "{" and text.startswith("{{", i):
            literal.append("{")
            i += 2
        elif char == "}" and text.startswith("}}", i):
            literal.append("}")
            i += 2
        elif char == "}":
            errors.append(f"unmatched '}}' at position {i} (write '}}}}' for a literal brace)")
            i += 1
        elif char == "{":
            end = _closing(text, i, errors)
            if end is None:
                break  # everything after an unclosed brace is text no one meant
            placeholder = _placeholder(text[i + 1 : end], i, errors)
            if placeholder is not None:
                if literal:
                    parts.append("".join(literal))
                    literal = []
                parts.append(placeholder)
            i = end + 1
        else:
            literal.append(char)
            i += 1
    if literal:
        parts.append("".join(literal))
    if errors:
        raise TemplateError(errors)
    return Template(tuple(parts))


def _closing(text: str, start: int, errors: list[str]) -> int | None:
    """Index of the ``}`` closing the placeholder opened at ``start``, or None (error).

    The next ``}`` closes it, whatever comes between: a stray ``{`` inside makes an
    unknown field name (or lands in the fallback text), as in ``shared.template``.
    """
    end = text.find("}", start + 1)
    if end < 0:
        errors.append(f"unclosed '{{' at position {start} (write '{{{{' for a literal brace)")
        return None
    return end


def _placeholder(inner: str, position: int, errors: list[str]) -> Placeholder | None:
    name, bar, fallback = inner.partition("|")
    name = name.strip()
    if not name:
        errors.append(f"empty placeholder at position {position}")
        return None
    if name not in FIELDS:
        allowed = ", ".join("{" + f + "}" for f in FIELDS)
        errors.append(f"unknown placeholder {{{name}}} at position {position}; allowed: {allowed}")
        return None
    return Placeholder(name, fallback if bar else None)


def recipient_values(recipient: Mapping[str, Any]) -> dict[str, str]:
    """The value of every field for one recipient; blank when unknown."""

    def text(key: str) -> str:
        # Any falsy value (None, "", 0) counts as missing, as in shared.template.
        return str(recipient.get(key) or "").strip()

    name = text("name")
    return {
        "name": name,
        # split() without arguments splits on any Unicode whitespace (NBSP, ideographic).
        "first_name": name.split(maxsplit=1)[0] if name else "",
        "email": text("email"),
        "phone": text("phone"),
        "customer_id": text("customer_id"),
    }


def render(template: Template, recipient: Mapping[str, Any]) -> str:
    """The message for one recipient (``name``, ``email``, ``phone``, ``customer_id`` keys)."""
    values = recipient_values(recipient)
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = values[part.field]
        if not value:
            fallback = part.fallback
            value = fallback if fallback is not None else DEFAULT_FALLBACK.get(part.field, "")
        out.append(value)
    return "".join(out)
