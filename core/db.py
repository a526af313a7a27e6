"""SQLAlchemy engine, sessions and migrations. SQLite by default, PostgreSQL via DATABASE_URL."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import DateTime, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from core.config import ROOT, get_settings
from core.per_key import OncePerKey

MIGRATIONS_DIR = ROOT / "migrations"


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTCDateTime column")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit is durable against a crash of any process (it is in the WAL file) but
        # not against power loss / OS crash before the next checkpoint's fsync (docs/architecture.md).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    return engine


_ENGINES: OncePerKey[str, Engine] = OncePerKey(_create_engine)
_SESSIONMAKERS: OncePerKey[str, sessionmaker] = OncePerKey(
    lambda url: sessionmaker(bind=get_engine(url), expire_on_commit=False))


def get_engine(url: str | None = None) -> Engine:
    return _ENGINES.get(url or get_settings().database_url)


def new_session(url: str | None = None) -> Session:
    return _SESSIONMAKERS.get(url or get_settings().database_url)()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    session = new_session(url)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_engines() -> None:
    """Drop cached engines (tests switch DATABASE_URL)."""
    _SESSIONMAKERS.clear()
    _ENGINES.clear(close=Engine.dispose)


def check_database(url: str | None = None) -> None:
    """Raise if the database cannot be reached."""
    with get_engine(url).connect() as conn:
        conn.execute(text("SELECT 1"))


def alembic_config(url: str | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Create or upgrade the schema to every branch head (one branch per package)."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")
