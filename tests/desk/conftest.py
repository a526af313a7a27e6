"""Desk staff of the "123" tier (seed 001) plus window staff, on the clean test database."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.accounts import A_POST, ADMIN, B_POST, CHIEF, WINDOW_STAFF, create_account

PASSWORD = "desk-password-1"


def make_staff(session) -> SimpleNamespace:
    people = SimpleNamespace(
        chief=create_account(session, "chief", PASSWORD, CHIEF, display_name="王科长"),
        a_market=create_account(session, "a-market", PASSWORD, A_POST, department="市场监管", display_name="A岗甲"),
        a_market2=create_account(session, "a-market2", PASSWORD, A_POST, department="市场监管", display_name="A岗乙"),
        a_fire=create_account(session, "a-fire", PASSWORD, A_POST, department="消防", display_name="消防专家"),
        b_post=create_account(session, "b-post", PASSWORD, B_POST, display_name="B岗小李"),
        b_post2=create_account(session, "b-post2", PASSWORD, B_POST, display_name="B岗小周"),
        window=create_account(session, "window", PASSWORD, WINDOW_STAFF, display_name="导办专窗小陈"),
        admin=create_account(session, "admin", PASSWORD, ADMIN, display_name="管理员"),
    )
    session.commit()
    return people


@pytest.fixture
def staff(db):
    return make_staff(db)


@pytest.fixture
def sms_any_hour(env, monkeypatch):
    """Deliver SMS whatever the wall-clock time (no quiet hours) through the console provider."""
    from core.config import reset_settings

    monkeypatch.setenv("QUIET_HOURS", "off")
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    reset_settings()


@pytest.fixture
def knowledge_copy(env, tmp_path, monkeypatch):
    """A private copy of knowledge/data (KNOWLEDGE_DATA_DIR), so approved FAQ entries land there."""
    import shutil

    from core.config import ROOT, reset_settings
    from knowledge import retrieval

    directory = tmp_path / "knowledge-data"
    shutil.copytree(ROOT / "knowledge" / "data", directory)
    monkeypatch.setenv("KNOWLEDGE_DATA_DIR", str(directory))
    reset_settings()
    retrieval.invalidate()
    yield directory
    monkeypatch.delenv("KNOWLEDGE_DATA_DIR")
    reset_settings()
    retrieval.invalidate()
