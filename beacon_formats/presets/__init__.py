"""The presets, by ``--from`` name: each knows its layouts (which columns hold what), says
how it reads them (``describe``) and turns rows into records (``records``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from beacon_formats.columns import Layout, Matched
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


PRESETS: dict[str, Preset] = {
    "generic": Preset("generic", generic.layout, generic.describe, generic.records, True),
    "shopify": Preset("shopify", shopify.layout, shopify.describe, shopify.records, False),
    "woocommerce": Preset(
        "woocommerce", woocommerce.layout, woocommerce.describe, woocommerce.records, False
    ),
}
