"""Shared by the workflow tests here and the reviewer / workflow API tests under tests/bot/gateway.

`workflow_kb` points KNOWLEDGE_DATA_DIR at a copy of the real knowledge data without the FAQ (the
workflow reads only departments, materials, items and scenarios), so FAQ edits in progress elsewhere do
not break these tests. The items are the real catalogue, not test doubles.
"""
from __future__ import annotations

import shutil

import pytest

from core.config import ROOT

ID_A = "33010619900101123X"
ID_B = "330102198505122013"
PHONE = "13812345678"
PHONE_E164 = "+8613812345678"
CONVERSATION = "c" * 32


def company_data(**overrides) -> dict:
    data = {
        "entity_type": "有限责任公司",
        "names": ["杭州一次餐饮管理有限公司"],
        "district": "西湖区",
        "address": "文三路100号1楼",
        "people": [
            {"role": "legal_representative", "name": "张三", "id_number": ID_A},
            {"role": "shareholder", "name": "张三", "id_number": ID_A, "contribution": "60"},
            {"role": "shareholder", "name": "李四", "id_number": ID_B, "contribution": "40"},
        ],
        "phone": PHONE,
        "business_scope": "餐饮服务；食品销售",
        "registered_capital": "100",
        "x_items": ["food_business_licence", "fire_safety_inspection"],
        "consents": {"data_use": True},
        "attachments": [{"name": "住所（经营场所）申报承诺书", "ref": "uploads/abc.pdf"}],
    }
    data.update(overrides)
    return data


@pytest.fixture(scope="session")
def knowledge_copy(tmp_path_factory):
    source = ROOT / "knowledge" / "data"
    target = tmp_path_factory.mktemp("knowledge")
    for name in ("departments.yaml", "materials.yaml", "common.yaml"):
        shutil.copy(source / name, target / name)
    for name in ("items", "scenarios"):
        shutil.copytree(source / name, target / name)
    return target


@pytest.fixture
def workflow_kb(env, knowledge_copy, monkeypatch):
    from core.config import reset_settings
    from knowledge.loader import reset_kb

    monkeypatch.setenv("KNOWLEDGE_DATA_DIR", str(knowledge_copy))
    reset_settings()
    reset_kb()
    yield knowledge_copy
    reset_kb()


@pytest.fixture
def workflow(workflow_kb):
    from integrations.embedded import EmbeddedWorkflow

    return EmbeddedWorkflow()
