"""Fixtures shared by the whole suite: real Redis, real databases (SQLite, and PostgreSQL when
TEST_DATABASE_URL answers), the test environment, and a Flask test client."""
from __future__ import annotations

import os

import pytest

from core.config import reset_settings
from core.db import new_session, reset_engines
from core.redis import reset_redis
from tests.support import databases
from tests.support.redis_server import RedisProcess, machine_redis_url
from tests.support.stack import pytest_itemcollected, rasa_env, rasa_stack  # noqa: F401  (Rasa stack fixtures)

os.environ.setdefault("YICI_ENV", "test")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if databases.postgres_url() else ["sqlite"]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = machine_redis_url()
    if url:
        yield url
        return
    server = RedisProcess(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session", params=_backends())
def database_url(request, tmp_path_factory):
    """A migrated database of each available backend, once per session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'yici-test.db'}"
    else:
        url = databases.postgres_url()
    databases.prepare(url)
    return url


@pytest.fixture
def env(monkeypatch, database_url, redis_url):
    """The process environment every component reads its settings from, pointed at test services."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    reset_settings()
    reset_engines()
    reset_redis()
    databases.truncate_all(database_url)
    import redis as redis_lib

    redis_lib.Redis.from_url(redis_url).flushdb()
    yield {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    reset_settings()
    reset_engines()
    reset_redis()


@pytest.fixture
def db(env):
    """A session on the clean test database (every backend available)."""
    session = new_session()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def app(env):
    from bot.gateway import create_app

    application = create_app()
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def client(app):
    return app.test_client()
