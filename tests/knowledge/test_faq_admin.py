"""Adding reviewer-approved entries: validated, atomic, visible to the next query without a restart."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import yaml

from core.config import ROOT
from knowledge import retrieval
from knowledge.faq import FaqError, load_faq
from knowledge.faq_admin import add_approved_entry, approved_path

SEED = """\
- id: prereview-days
  topic: 办理时限
  question: 网上预审要几个工作日？
  paraphrases: [预审要几天]
  answer: 网上预审时限不超过2个工作日。
  source: 《“1+N”+X网上运行系统通知》四、考核督查第2条
  confidence: V
"""


@pytest.fixture
def data_dir(tmp_path, use_data_dir):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "guide.yaml").write_text(SEED, encoding="utf-8")
    return use_data_dir(tmp_path)


def test_approved_entry_is_written_with_reviewer_and_date_and_found_at_once(data_dir):
    assert retrieval.ask("公章刻制费用有补贴吗") is None
    faq_id = add_approved_entry("刻公章有补贴吗", ["公章刻制费用有补贴吗", "刻章能报销吗"],
                                "各地推行开办企业零费用，公章刻制费用有补贴，具体以窗口最新办事指南为准。",
                                "《关于深化线上线下融合服务推动企业开办“一件事”改革的通知》二、（三）", "王专家",
                                today=dt.date(2026, 3, 2))
    assert faq_id == "approved-20260302-1"
    raw = yaml.safe_load(approved_path().read_text(encoding="utf-8"))
    assert raw[0]["reviewer"] == "王专家" and raw[0]["approved_on"] == dt.date(2026, 3, 2)
    answer = retrieval.ask("公章刻制费用有补贴吗")      # same process, no restart, no wait
    assert answer is not None and answer.faq_id == faq_id
    second = add_approved_entry("歇业怎么办", ["店先关一段时间怎么办"], "可以申请歇业，以窗口最新办事指南为准。",
                                "《市场主体登记管理条例》", "李科长", today=dt.date(2026, 3, 2))
    assert second == "approved-20260302-2"
    assert {e.id for e in load_faq(data_dir)} == {"prereview-days", faq_id, second}


def test_another_process_approving_is_seen_without_restart(data_dir, monkeypatch):
    monkeypatch.setattr(retrieval, "CHECK_INTERVAL_SECONDS", 0.0)
    assert retrieval.ask("注销要跑税务吗") is None
    code = ("from knowledge.faq_admin import add_approved_entry; "
            "print(add_approved_entry('注销要跑税务吗', ['清税证明哪里开'], '可在综合进件窗口一窗办理。', "
            "'临安区简报第82期 二、（一）', '张三'))")
    env = {"KNOWLEDGE_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env, capture_output=True, text=True)
    faq_id = out.stdout.strip()
    assert retrieval.ask("注销要跑税务吗").faq_id == faq_id


@pytest.mark.parametrize("kwargs, message", [
    ({"reviewer": ""}, "field 'reviewer'"),
    ({"source": ""}, "field 'source'"),
    ({"paraphrases": []}, "field 'paraphrases'"),
    ({"confidence": "U"}, "以窗口最新办事指南为准"),
])
def test_invalid_entry_is_rejected_and_nothing_is_written(data_dir, kwargs, message):
    args = {"question": "刻公章有补贴吗", "paraphrases": ["刻章能报销吗"], "answer": "有补贴。",
            "source": "苏州企业开办通知 二、（三）", "reviewer": "王专家", **kwargs}
    with pytest.raises(FaqError, match=message):
        add_approved_entry(**args)
    assert not approved_path().exists()
    assert [e.id for e in load_faq(data_dir)] == ["prereview-days"]
