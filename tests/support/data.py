"""Deterministic test data with the awkward cases real shops send."""

from __future__ import annotations

import random
from typing import Any

NAMES = ["Zoë Ñandú", "राम शर्मा", "Ananya Iyer", "O'Brien", "Łukasz", "Priya 🌸", "Rāmānujan"]
CITIES = ["Pune", "Bengaluru", "Chennai", "Kolkata", "Mumbai", "Jaipur", None]


def customers(n: int, *, prefix: str = "c", seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "customer_id": f"{prefix}{i}",
            "name": f"{rng.choice(NAMES)} {i}",
            "email": f"user{i}@example.in" if i % 3 else None,
            "city": rng.choice(CITIES),
        }
        for i in range(n)
    ]


def orders(
    n: int, *, customers: int, prefix: str = "o", customer_prefix: str = "c", seed: int = 2
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "order_id": f"{prefix}{i}",
            "customer_id": f"{customer_prefix}{rng.randrange(customers)}",
            "amount": f"{rng.randrange(0, 5_000_00) / 100:.2f}",
            "ordered_at": f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:00:00Z",
        }
        for i in range(n)
    ]
