"""Migrations create exactly the tables the models declare, on every backend."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import get_engine
from core.models import load_all_models


def test_migrations_match_models(env, database_url):
    metadata = load_all_models()
    with get_engine(database_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
