"""Alembic environment of the ingest schema."""

from services.ingest.store.tables import metadata
from shared.migrations import run_env

run_env(metadata)
