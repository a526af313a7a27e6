"""Fixtures for the knowledge tests: a private copy of the data directory (KNOWLEDGE_DATA_DIR), so tests can
edit and break files without touching knowledge/data. No database or Redis needed."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from core.config import reset_settings
from knowledge.faq import PACKAGE_DATA_DIR
from knowledge.loader import reset_kb

CORE_DATA = ("departments.yaml", "materials.yaml", "common.yaml", "items", "scenarios")


def copy_core_data(target: Path) -> Path:
    """The items, scenarios, materials, departments and common files (no FAQ: an empty faq/ directory)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in CORE_DATA:
        source = PACKAGE_DATA_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    (target / "faq").mkdir(exist_ok=True)
    return target


@pytest.fixture
def use_data_dir(monkeypatch):
    """Point the process (settings and knowledge base cache) at a data directory."""

    def use(directory: Path) -> Path:
        monkeypatch.setenv("KNOWLEDGE_DATA_DIR", str(directory))
        reset_settings()
        reset_kb()
        return directory

    yield use
    reset_kb()
    monkeypatch.delenv("KNOWLEDGE_DATA_DIR", raising=False)
    reset_settings()


@pytest.fixture
def data_dir(tmp_path, use_data_dir) -> Path:
    """A private copy of the core knowledge data, in use by get_kb()."""
    return use_data_dir(copy_core_data(tmp_path / "data"))


def read_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_yaml(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(value, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def core_data(tmp_path_factory) -> Path:
    """Like data_dir, shared by a module whose tests only read the data (loaded once per module)."""
    with pytest.MonkeyPatch.context() as patch:
        directory = copy_core_data(tmp_path_factory.mktemp("knowledge") / "data")
        patch.setenv("KNOWLEDGE_DATA_DIR", str(directory))
        reset_settings()
        reset_kb()
        yield directory
    reset_kb()
    reset_settings()
