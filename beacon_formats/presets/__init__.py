"""The presets, by ``--from`` name: each knows its layouts (which columns hold what), says
how it reads them (``describe``) and turns rows into records (``records``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from beacon_formats.columns import Layout, Matched, normalise
from beacon_formats.presets import generic, shopify, woocommerce
from beacon_formats.presets.common import Context
from beacon_formats.record import Record
from beacon_formats.source import Row


@dataclass(frozen=True)
class Preset:
    name: str
    layout: Callable[[str], Layout]
    describe: Callable[[str, Matched], dict[str, str]]
    records: Callable[[Context, Matched, Iterator[Row]], Iterator[Record]]
    detects_dates: bool  # False: the platform writes ISO 8601 (with or without an offset)


# Columns only a platform's own export has, per kind: a generic read of such a file would
# miss what the preset knows (Shopify's line-item rows would each be a bad row).
SIGNATURES: dict[tuple[str, str], tuple[frozenset[str], ...]] = {
    ("shopify", "customers"): (
        frozenset({"customer id", "accepts email marketing", "default address city"}),
        frozenset({"first name", "accepts marketing", "total spent", "tax exempt"}),
    ),
    ("shopify", "orders"): (frozenset({"name", "financial status", "lineitem name"}),),
    ("woocommerce", "customers"): (frozenset({"username", "last active", "aov"}),),
    ("woocommerce", "orders"): (frozenset({"order id", "billing email", "order total"}),),
}


def recognise(kind: str, header: list[str]) -> str | None:
    """The platform whose export this header is, if it is one."""
    names = {normalise(h) for h in header}
    for (source, of_kind), signatures in SIGNATURES.items():
        if of_kind == kind and any(signature <= names for signature in signatures):
            return source
    return None


PRESETS: dict[str, Preset] = {
    "generic": Preset("generic", generic.layout, generic.describe, generic.records, True),
    "shopify": Preset("shopify", shopify.layout, shopify.describe, shopify.records, False),
    "woocommerce": Preset(
        "woocommerce", woocommerce.layout, woocommerce.describe, woocommerce.records, False
    ),
}
