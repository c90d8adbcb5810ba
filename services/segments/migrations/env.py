"""Alembic environment of the segments schema."""

from services.segments.store.tables import metadata
from shared.migrations import run_env

run_env(metadata)
