"""The worker refuses order rows it would store corrupted (INSERT IGNORE truncates)."""

import pytest

from services.ingest.domain.events import orders_submitted, submitted_order_rows
from services.ingest.domain.models import Order
from shared.envelope import Received, new_event

GOOD = {
    "order_id": "O-1",
    "customer_id": "C-1",
    "amount": "12.50",
    "ordered_at": "2026-11-01T04:30:00Z",
}


def test_what_the_api_writes_passes() -> None:
    orders = [
        Order.model_validate(
            {"order_id": "O" * 64, "customer_id": "C", "amount": "1E+3", "ordered_at": "2026-01-01"}
        ),
        Order.model_validate(
            {
                "order_id": "é",
                "customer_id": "C",
                "amount": 0.5,
                "ordered_at": "1900-01-02T00:00:00.5",
            }
        ),
    ]
    assert len(submitted_order_rows(Received.of(orders_submitted(orders)).payload)) == 2


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ordered_at", "0001-01-01T00:00:00Z"),
        ("ordered_at", "2026-11-01 04:30:00"),
        ("customer_id", "C" * 100),
        ("order_id", ""),
        ("amount", "not a number"),
        ("amount", "-1"),
        ("amount", "1.005"),
        ("amount", "1E+20"),
        ("amount", 12),
    ],
)
def test_foreign_rows_are_refused_whole(key: str, value: object) -> None:
    event = new_event("order.submitted", {"orders": [GOOD, {**GOOD, key: value}]}, "test")
    with pytest.raises(ValueError, match=rf"orders\[1\]\.{key}"):
        submitted_order_rows(Received.of(event).payload)
