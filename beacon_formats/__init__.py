"""Beacon's reader of shop files: a CSV or JSON Lines export (gzip too) of customers or
orders, from Shopify, WooCommerce or any spreadsheet, into the ingest API's items.

The one implementation behind ``beacon import`` and the dashboard's upload: pure Python
(stdlib and pydantic), no network, no database. A file is read one record at a time::

    with read("orders", "orders_export_1.csv", Options(source="shopify")) as reading:
        print(reading.header.mapping)
        for record in reading:
            record.item  # the API's JSON shape, or None with record.problems saying why

Refused records are written back in the file's own layout with :class:`BadRows`.
"""

from beacon_formats.columns import parse_overrides
from beacon_formats.errors import FormatError
from beacon_formats.options import KINDS, SOURCES, Options
from beacon_formats.reader import Reading, read
from beacon_formats.record import ERROR_COLUMN, Header, Record
from beacon_formats.report import BadRows

__all__ = [
    "ERROR_COLUMN",
    "BadRows",
    "KINDS",
    "SOURCES",
    "FormatError",
    "Header",
    "Options",
    "Reading",
    "Record",
    "parse_overrides",
    "read",
]
