"""Which column holds which field: a layout's header spellings, ``--map field=Header``
overrides, and the closest header suggested when a name matches nothing.

A :class:`Layout` lists, per field, the header spellings it is found under (compared after
normalising case, spaces, dashes and underscores). Its fields are the API's (``amount``,
``customer_email``) or a preset's own (``financial_status``, ``first_name``); ``--map``
names API fields only.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from beacon_formats.errors import FormatError

# The API's fields per kind: what --map may name.
API_FIELDS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id",
        "name",
        "email",
        "phone",
        "city",
        "created_at",
        "accepts_email_marketing",
        "accepts_sms_marketing",
        "accepts_whatsapp_marketing",
        "consent_at",
        "consent_source",
    ),
    "orders": (
        "order_id",
        "customer_id",
        "customer_email",
        "customer_name",
        "amount",
        "status",
        "refunded_amount",
        "ordered_at",
        "updated_at",
        "currency",
    ),
}


@dataclass(frozen=True)
class Layout:
    """A kind of file: field -> header spellings (first found wins, in field order), the
    fields of which at least one must have a column (each tuple), and a name for messages."""

    name: str
    kind: str
    spellings: dict[str, tuple[str, ...]]
    required: tuple[tuple[str, ...], ...]


@dataclass
class Matched:
    """field -> column index, plus what a person should hear about the match."""

    header: list[str]
    index: dict[str, int]
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def column(self, name: str) -> str:
        return self.header[self.index[name]]


def normalise(header: str) -> str:
    return re.sub(r"[\s_\-./#]+", " ", header).strip().lower()


def closest(word: str, choices: list[str]) -> str | None:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not found:
        by_norm = {normalise(c): c for c in choices}
        found = [
            by_norm[m]
            for m in difflib.get_close_matches(normalise(word), list(by_norm), n=1, cutoff=0.6)
        ]
    return found[0] if found else None


def parse_overrides(kind: str, pairs: list[str]) -> dict[str, str]:
    """``["name=Full Name", ...]`` (the CLI's ``--map``) as field -> header."""
    fields = list(API_FIELDS[kind])
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, eq, header = pair.partition("=")
        name = name.strip()
        if not eq or not name or not header:
            raise FormatError(
                f"--map {pair!r}: expected field=Header, e.g. --map name=full_name", option="map"
            )
        if name not in fields:
            guess = closest(name, fields)
            raise FormatError(
                f"--map {pair!r}: {kind} have no field {name!r}"
                + (f"; did you mean {guess!r}?" if guess else ""),
                hint=f"fields: {', '.join(fields)}",
                option="map",
            )
        overrides[name] = header
    return overrides


def match(layout: Layout, header: list[str], overrides: dict[str, str]) -> Matched:
    """Find every field's column, or say which required field has none (and what is near)."""
    by_norm: dict[str, int] = {}
    for i, h in enumerate(header):
        by_norm.setdefault(normalise(h), i)
    index: dict[str, int] = {}
    for name, wanted in overrides.items():
        if name not in layout.spellings:
            raise FormatError(
                f"--map {name}={wanted}: the {layout.name} layout does not read {name!r} "
                "from one column",
                hint="use --from generic to map every column yourself.",
                option="map",
            )
        if wanted not in header:
            guess = closest(wanted, header)
            raise FormatError(
                f"--map {name}={wanted}: the file has no column {wanted!r}"
                + (f"; did you mean {guess!r}?" if guess else ""),
                hint=f"columns: {', '.join(header)}",
                option="map",
            )
        index[name] = header.index(wanted)
    used = set(index.values())
    for name, spellings in layout.spellings.items():
        if name in index:
            continue
        for spelling in (normalise(name), *spellings):
            found = by_norm.get(spelling)
            if found is not None and found not in used:
                index[name] = found
                used.add(found)
                break
    matched = Matched(header, index)
    matched.ignored = [h for i, h in enumerate(header) if i not in used]
    missing = [group for group in layout.required if not any(f in index for f in group)]
    if missing:
        raise FormatError(
            f"{layout.name} {layout.kind}: "
            + "; ".join(_missing(group, layout, matched) for group in missing)
            + ".",
            hint=f"the file's columns: {', '.join(header)}. Map one with --map field=Header"
            + ("" if layout.name == "generic" else ", or pick another --from")
            + ".",
            option="map",
        )
    return matched


def _missing(group: tuple[str, ...], layout: Layout, matched: Matched) -> str:
    first = group[0]
    guess = closest(first, matched.ignored) or next(
        (
            h
            for h in matched.ignored
            if closest(normalise(h), [normalise(first), *layout.spellings[first]])
        ),
        None,
    )
    what = " or ".join(repr(f) for f in group)
    return f"no column for {what}" + (
        f"; did you mean {guess!r}? (--map {first}={guess!r})" if guess else ""
    )


def suggest(layout: Layout, matched: Matched) -> None:
    """A note for an ignored column that looks like a field left without a column (the
    first such column per field)."""
    all_spellings = [s for spellings in layout.spellings.values() for s in spellings]
    suggested: set[str] = set()
    for h in matched.ignored:
        guess = closest(normalise(h), all_spellings + list(layout.spellings))
        if guess is None:
            continue
        owner = next(f for f, s in layout.spellings.items() if guess == f or guess in s)
        if (
            owner not in matched.index
            and owner in API_FIELDS[layout.kind]
            and owner not in suggested
        ):
            suggested.add(owner)
            matched.notes.append(
                f"column {h!r} is ignored; did you mean {owner!r}? (--map {owner}={h!r})"
            )
