"""Every module that declares tables, imported together (Alembic and tests need the whole metadata)."""
from __future__ import annotations

import importlib

from core.db import Base

MODEL_MODULES = (
    "core.accounts",
    "conversations.models",
    "notify.models",
    "integrations.models",
    "desk.models",
    "bot.actions.ratings",
)


def load_all_models():
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
