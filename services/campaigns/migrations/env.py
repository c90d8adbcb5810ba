"""Alembic environment of the campaigns schema."""

from services.campaigns.store.tables import metadata
from shared.migrations import run_env

run_env(metadata)
