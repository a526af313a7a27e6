"""One database session per request (g.db); views commit explicitly."""
from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from core.db import new_session


def get_db() -> Session:
    if "db" not in g:
        g.db = new_session()
    return g.db


def _close_db(_exc=None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_db)
