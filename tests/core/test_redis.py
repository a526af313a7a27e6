"""core.redis: one client per URL per process, even when many threads ask for it at once."""
from __future__ import annotations

import sys
import threading

import pytest

from core.config import reset_settings
from core.redis import get_redis, reset_redis

THREADS = 32


@pytest.fixture
def redis_env(monkeypatch, redis_url):
    monkeypatch.setenv("REDIS_URL", redis_url)
    reset_settings()
    reset_redis()
    get_redis().delete("yici:test:redis-race")
    yield
    reset_redis()
    reset_settings()


@pytest.fixture
def eager_thread_switches():
    """Switch threads as often as the interpreter can, so that a race in lazy creation shows up."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_threads_asking_at_once_share_one_client_and_none_is_closed_under_another(redis_env, eager_thread_switches):
    # The first requests after a start arrive together (a gunicorn worker's threads, 50 applicants at a
    # barrier). A second client made by a race and dropped would close its pool on garbage collection,
    # disconnecting the connection the thread that used it was reading from.
    for _attempt in range(5):
        reset_redis()
        barrier = threading.Barrier(THREADS)
        clients, errors = [], []

        def ask() -> None:
            barrier.wait()
            try:
                client = get_redis()
                clients.append(client)
                pipe = client.pipeline(transaction=False)
                for _ in range(20):
                    pipe.incr("yici:test:redis-race")
                pipe.execute()
            except Exception as error:   # reported below
                errors.append(f"{type(error).__name__}: {error}")

        threads = [threading.Thread(target=ask) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors, errors[:3]
        assert len({id(client) for client in clients}) == 1
    assert int(get_redis().get("yici:test:redis-race")) == 5 * THREADS * 20
