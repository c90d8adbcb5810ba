"""Alembic environment of the stats schema."""

from services.stats.store.tables import metadata
from shared.migrations import run_env

run_env(metadata)
