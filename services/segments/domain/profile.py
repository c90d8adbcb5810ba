"""`Profile`: one customer's segmentable attributes, as the reference evaluator and
`ProfileColumns.upsert` take them. Every attribute may be None (SQL NULL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

CustomerId = int | str  # opaque to the domain: whatever the customers table uses


@dataclass(slots=True)
class Profile:
    customer_id: CustomerId
    total_spend: Decimal | int | None = None  # INR, at most 2 decimal places
    visits: int | None = None
    last_visit_at: datetime | None = None  # naive datetimes are UTC
    first_visit_at: datetime | None = None
    created_at: datetime | None = None
    name: str | None = None
    email: str | None = None
    city: str | None = None
    phone: str | None = None
