"""Alembic environment of the delivery schema."""

from services.delivery.store.tables import metadata
from shared.migrations import run_env

run_env(metadata)
