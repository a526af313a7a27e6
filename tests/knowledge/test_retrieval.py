"""FAQ retrieval against the real FAQ data, the real jieba tokenizer and the real bm25s index."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from core.config import ROOT
from knowledge import retrieval
from knowledge.faq import PACKAGE_DATA_DIR, load_faq
from knowledge.faq import FaqEntry
from knowledge.retrieval import FaqRetriever, build_retriever, normalise, tokenize, word_groups


@pytest.fixture(scope="module")
def retriever():
    return build_retriever(PACKAGE_DATA_DIR)


@pytest.mark.parametrize("question, faq_id", [
    ("预审要几天", "prereview-days"),
    ("网上预审最长要等多久", "prereview-days"),
    ("需要现场踏勘的要多久", "x-time-limit"),
    ("联办是自愿的吗", "x-voluntary"),
    ("我想单独去部门办许可证", "decline-joint-processing"),
    ("容缺是啥意思", "rongque-what"),
    ("签承诺书就能拿证吗", "gaozhi-chengnuo-what"),
    ("股东在外省能异地签字吗", "remote-signature"),
    ("全链式分链式单链式是什么", "quanliantong-modes"),
    ("开办零费用是什么意思", "opening-zero-fee"),
    ("便利店卖烟要办什么证", "tobacco-licence"),
    ("小作坊登记证材料", "small-catering-materials"),
    ("证照分离四种方式", "zzfl-four-modes"),
    ("能不能先歇业不注销", "suspension"),
    # negation and obligation are meaning, not stop words
    ("可以不联办吗", "x-voluntary"),
    ("不想联办怎么办", "decline-joint-processing"),
    ("预审是什么", "prereview-what"),
    # voice-to-text: 同音字 and spelled-out 1+N+X
    ("预申要几天", "prereview-days"),
    ("营业执招要带什么材料个体户", "geti-materials"),
    ("1加N加X是什么意思", "what-is-1nx"),
    ("营业执照 多久 下来", "registration-time"),        # the bot's voice-to-text story (tests/bot/test_stories.yml)
])
def test_paraphrases_find_their_entry(retriever, question, faq_id):
    answer = retriever.ask(question)
    assert answer is not None and answer.faq_id == faq_id
    assert answer.source and answer.answer and answer.score >= retriever.threshold


@pytest.mark.parametrize("question", [
    "今天天气怎么样", "推荐几只股票", "个税汇算怎么申报", "房贷利率多少", "离婚去哪里办",
    "帮我订一张机票", "", "？？？",
    # near the domain, but no entry answers it: a near miss would mislead
    "外省办的健康证在杭州开面馆还能用吗？",
])
def test_out_of_scope_questions_are_refused(retriever, question):
    assert retriever.ask(question) is None


def test_answer_to_dict_and_top_three(retriever):
    answer = retriever.ask("X类许可证要几天")
    data = answer.to_dict()
    assert data["faq_id"] == "x-time-limit"
    assert {"answer", "source", "score", "faq_id", "question"} <= set(data)
    assert "7个工作日" in data["answer"]
    assert [c.entry.id for c in retriever.search("X类许可证要几天", k=3)][0] == "x-time-limit"
    assert len(retriever.search("X类许可证要几天", k=3)) == 3


FAQ = """\
- id: only-entry
  topic: 测试
  question: 网上预审要几个工作日？
  paraphrases: [预审要几天]
  answer: 网上预审时限不超过2个工作日。
  source: 《“1+N”+X网上运行系统通知》四、考核督查第2条
  confidence: V
"""


def test_module_ask_follows_the_configured_directory_and_reloads_changed_files(tmp_path, use_data_dir, monkeypatch):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "a.yaml").write_text(FAQ, encoding="utf-8")
    use_data_dir(tmp_path)
    monkeypatch.setattr(retrieval, "CHECK_INTERVAL_SECONDS", 0.0)
    assert retrieval.ask("预审要几天").faq_id == "only-entry"
    assert retrieval.ask("歇业怎么申请") is None
    # Another process (an operator editing, or a gateway approving) adds a file: the next query sees it.
    script = textwrap.dedent(f"""
        from pathlib import Path
        Path({str(tmp_path / 'faq' / 'b.yaml')!r}).write_text('''- id: suspension
          topic: 歇业
          question: 生意暂时做不下去，可以申请歇业吗？
          paraphrases: [歇业怎么申请]
          answer: 可以申请歇业，具体以窗口最新办事指南为准。
          source: 《市场主体登记管理条例》
          confidence: U
        ''', encoding='utf-8')
    """)
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT)
    assert retrieval.ask("歇业怎么申请").faq_id == "suspension"


def test_index_is_reused_between_checks(tmp_path, use_data_dir, monkeypatch):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "a.yaml").write_text(FAQ, encoding="utf-8")
    use_data_dir(tmp_path)
    first = retrieval.get_retriever()
    monkeypatch.setattr(retrieval, "CHECK_INTERVAL_SECONDS", 0.0)
    assert retrieval.get_retriever() is first   # files unchanged: no rebuild


def test_respelling_fixes_misheard_words_and_leaves_real_words_alone(retriever):
    assert "预审" in retriever.respell("预申大概要几天")
    assert "营业执照" in retriever.respell("营业执招")
    for text in ("到底是几证合一", "证照分离跟证照联办是一回事吗", "大厅里有自助打印机吗"):
        assert retriever.respell(text) == normalise(text)


def test_a_word_and_the_words_inside_it_are_one_concept():
    assert word_groups("网上预审要几天") == [["网上", "预审", "网上预审"], ["时限"]]
    assert tokenize("可以不联办吗") == ["必须", "联办"]          # “可以不” asks whether it is obligatory
    assert tokenize("不想联办") == ["不想", "联办"]


def test_a_concept_is_credited_once(retriever):
    """健康证 (健康 + 健康证) covers one concept of the question, not two."""
    groups = retriever.query_groups("健康证去哪家医院体检")
    assert [sorted(g) for g in groups if "健康证" in g] == [["健康", "健康证"]]
    assert retriever.ask("健康证去哪家医院体检") is None


def test_related_item_names_are_indexed():
    entry = FaqEntry(id="tobacco", topic="烟草", question="卖烟要办什么？", paraphrases=["卖烟要办啥"],
                     answer="向县级烟草专卖局申请。", source="《烟草专卖法》第十六条", confidence="V",
                     related_items=["tobacco_retail_licence"])
    other = FaqEntry(id="other", topic="其他", question="预审要几天？", paraphrases=["预审多久"],
                     answer="不超过2个工作日。", source="通知", confidence="V")
    plain = FaqRetriever([entry, other])
    with_items = FaqRetriever([entry, other], item_names={"tobacco_retail_licence": "烟草专卖零售许可证"})
    answer_signal = 3
    assert with_items.features("零售许可证")[answer_signal][0] > plain.features("零售许可证")[answer_signal][0]


def test_the_module_retriever_indexes_item_names(use_data_dir):
    use_data_dir(PACKAGE_DATA_DIR)
    retrieval.invalidate()
    built = retrieval.get_retriever()
    assert "零售" in built._vocabulary        # from 药品经营许可证（零售） and 烟草专卖零售许可证 via related_items
