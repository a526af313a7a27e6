"""Test databases: a fresh SQLite file always; PostgreSQL too when TEST_DATABASE_URL answers."""
from __future__ import annotations

import os

from sqlalchemy import create_engine, inspect, text

from core.db import migrate, reset_engines
from core.models import load_all_models


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return None
    return url


def reset_postgres(url: str) -> None:
    """Drop everything in the public schema, so migrations run from scratch."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def prepare(url: str) -> None:
    if url.startswith("postgresql"):
        reset_postgres(url)
    reset_engines()
    migrate(url)


def truncate_all(url: str) -> None:
    """Empty every table between tests (much faster than migrating again)."""
    metadata = load_all_models()
    engine = create_engine(url)
    with engine.begin() as conn:
        # Only tables that exist: a model without its migration is reported by test_migrations, not here.
        existing = set(inspect(conn).get_table_names())
        tables = [t for t in metadata.sorted_tables if t.name in existing]
        if url.startswith("postgresql"):
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())
    engine.dispose()
