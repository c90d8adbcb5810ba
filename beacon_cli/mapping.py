"""Which column holds which field: the header's own names, common shop-export spellings,
and ``--map field=Header`` overrides; with a suggestion when a name matches nothing."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from beacon_cli.errors import CliError

# Spellings seen in shop exports (Shopify, WooCommerce, spreadsheets), compared after
# normalising case, spaces, dashes and underscores.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "customer_id": (
            "customer id",
            "customer",
            "customer no",
            "customer number",
            "client id",
            "id",
            "user id",
            "buyer id",
        ),
        "name": ("name", "full name", "customer name", "client name"),
        "email": ("email", "e mail", "email address", "mail"),
        "phone": (
            "phone",
            "phone number",
            "mobile",
            "mobile number",
            "telephone",
            "tel",
            "contact number",
            "default address phone",
        ),
        "city": ("city", "town", "default address city", "billing city", "shipping city"),
        "created_at": (
            "created at",
            "created",
            "created on",
            "signup date",
            "signed up",
            "date joined",
            "registered at",
            "registration date",
            "customer since",
        ),
    },
    "orders": {
        "order_id": (
            "order id",
            "order",
            "order no",
            "order number",
            "order ref",
            "id",
            "transaction id",
            "invoice number",
        ),
        "customer_id": (
            "customer id",
            "customer",
            "customer no",
            "customer number",
            "client id",
            "user id",
            "buyer id",
        ),
        "amount": (
            "amount",
            "total",
            "order total",
            "grand total",
            "total amount",
            "order amount",
            "total price",
            "value",
            "net sales",
            "price",
        ),
        "ordered_at": (
            "ordered at",
            "order date",
            "date",
            "created at",
            "created",
            "placed at",
            "paid at",
            "purchase date",
            "order time",
        ),
    },
}
REQUIRED = {
    "customers": ("customer_id", "name"),
    "orders": ("order_id", "customer_id", "amount", "ordered_at"),
}
# A customer export often splits the name; joined when no single name column exists.
FIRST_LAST = (("first name", "firstname", "given name"), ("last name", "lastname", "surname"))


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


@dataclass
class Mapping:
    """field -> header, plus the first/last name pair and the headers left unused."""

    columns: dict[str, str]
    name_parts: tuple[str, str] | None = None
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def apply(self, row: dict[str, object]) -> dict[str, object]:
        out = {f: row.get(h) for f, h in self.columns.items()}
        if self.name_parts is not None:
            first, last = (str(row.get(h) or "").strip() for h in self.name_parts)
            out["name"] = f"{first} {last}".strip()
        return out


def parse_overrides(kind: str, pairs: list[str]) -> dict[str, str]:
    fields = list(ALIASES[kind])
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, eq, header = pair.partition("=")
        name = name.strip()
        if not eq or not name or not header:
            raise CliError(f"--map {pair!r}: expected field=Header, e.g. --map name=full_name")
        if name not in fields:
            guess = closest(name, fields)
            raise CliError(
                f"--map {pair!r}: {kind} have no field {name!r}"
                + (f"; did you mean {guess!r}?" if guess else ""),
                hint=f"fields: {', '.join(fields)}",
            )
        overrides[name] = header
    return overrides


def build(kind: str, headers: list[str], overrides: dict[str, str]) -> Mapping:
    """Map every field to a header, or say which required field has no column."""
    aliases = ALIASES[kind]
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise(h), h)
    columns: dict[str, str] = {}
    for name, header in overrides.items():
        if header not in headers:
            guess = closest(header, headers)
            raise CliError(
                f"--map {name}={header}: the file has no column {header!r}"
                + (f"; did you mean {guess!r}?" if guess else ""),
                hint=f"columns: {', '.join(headers)}",
            )
        columns[name] = header
    used = set(columns.values())
    for name, spellings in aliases.items():
        if name in columns:
            continue
        for spelling in (normalise(name), *spellings):
            found = by_norm.get(spelling)
            if found is not None and found not in used:
                columns[name] = found
                used.add(found)
                break
    mapping = Mapping(columns)
    if kind == "customers" and "name" not in columns:
        first = next((by_norm[s] for s in FIRST_LAST[0] if s in by_norm), None)
        last = next((by_norm[s] for s in FIRST_LAST[1] if s in by_norm), None)
        if first and last:
            mapping.name_parts = (first, last)
            used.update((first, last))
            mapping.notes.append(f"name = {first!r} + {last!r}")
    mapping.ignored = [h for h in headers if h not in used]
    missing = [
        f for f in REQUIRED[kind] if f not in columns and not (f == "name" and mapping.name_parts)
    ]
    if missing:
        lines = []
        for f in missing:
            guess = closest(f, mapping.ignored) or next(
                (h for h in mapping.ignored if closest(normalise(h), [normalise(f), *aliases[f]])),
                None,
            )
            lines.append(
                f"no column for {f!r}"
                + (f"; did you mean {guess!r}? (--map {f}={guess!r})" if guess else "")
            )
        raise CliError(
            f"{kind}: " + "; ".join(lines) + ".",
            hint=f"the file's columns: {', '.join(headers)}. Map one with --map field=Header.",
        )
    for h in mapping.ignored:
        guess = closest(normalise(h), [a for s in aliases.values() for a in s] + list(aliases))
        if guess is not None:
            owner = next(f for f, s in aliases.items() if guess == f or guess in s)
            if owner not in columns:
                mapping.notes.append(
                    f"column {h!r} is ignored; did you mean {owner!r}? (--map {owner}={h!r})"
                )
    return mapping
