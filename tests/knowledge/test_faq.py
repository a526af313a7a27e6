"""The FAQ schema and loader: the repository data is valid, and every error names file, entry and field."""
from __future__ import annotations

import textwrap

import pytest

from knowledge.faq import PACKAGE_DATA_DIR, UNCERTAIN_NOTICE, FaqError, load_faq

VALID = """\
- id: prereview-days
  topic: 办理时限
  question: 网上预审要几个工作日？
  paraphrases:
    - 预审要几天
  answer: >-
    网上预审时限不超过2个
    工作日。
  source: 《“1+N”+X网上运行系统通知》四、考核督查第2条
  confidence: V
"""


def write(tmp_path, name: str, text: str):
    directory = tmp_path / "faq"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_repository_faq_is_valid_and_broad():
    entries = load_faq(PACKAGE_DATA_DIR)
    assert len(entries) >= 120
    assert all(entry.source and len(entry.paraphrases) >= 2 for entry in entries)
    assert all(UNCERTAIN_NOTICE in entry.answer for entry in entries if entry.confidence == "U")
    topics = {entry.topic for entry in entries}
    assert {"办理时限", "容缺受理", "告知承诺", "证照分离", "企业开办", "注销", "歇业", "电子证照"} <= topics


def test_jieba_directory_holds_only_the_domain_dictionary():
    # Rasa's JiebaTokenizer loads every file of dictionary_path.
    assert [p.name for p in (PACKAGE_DATA_DIR / "jieba").iterdir()] == ["domain_dict.txt"]


def test_valid_file_loads_and_wrapped_chinese_lines_are_joined(tmp_path):
    [entry] = load_faq(write(tmp_path, "a.yaml", VALID))
    assert entry.answer == "网上预审时限不超过2个工作日。"
    assert entry.texts == ["网上预审要几个工作日？", "预审要几天"]


@pytest.mark.parametrize("change, expected", [
    (("id: prereview-days", "id: 预审天数"), "a.yaml entry 1 (id '预审天数'): field 'id': must be an ascii slug"),
    (("  source: 《“1+N”+X网上运行系统通知》四、考核督查第2条\n", ""), "field 'source': Field required"),
    (("confidence: V", "confidence: X"), "field 'confidence': Input should be 'V', 'S' or 'U'"),
    (("confidence: V", "confidence: U"), f"field 'answer': confidence is U, so the answer must tell the user “{UNCERTAIN_NOTICE}”"),
    (("    - 预审要几天\n", ""), "field 'paraphrases'"),
    (("  topic: 办理时限\n", "  topic: 办理时限\n  colour: red\n"), "field 'colour': Extra inputs are not permitted"),
])
def test_schema_errors_name_file_entry_and_field(tmp_path, change, expected):
    old, new = change
    write(tmp_path, "a.yaml", VALID.replace(old, new))
    with pytest.raises(FaqError) as error:
        load_faq(tmp_path)
    assert expected in str(error.value)
    assert "a.yaml entry 1" in str(error.value)


def test_duplicate_id_across_files(tmp_path):
    write(tmp_path, "a.yaml", VALID)
    write(tmp_path, "b.yaml", VALID)
    with pytest.raises(FaqError, match=r"b.yaml: duplicate FAQ id 'prereview-days' \(already used in a.yaml\)"):
        load_faq(tmp_path)


def test_file_must_be_a_list_and_valid_yaml(tmp_path):
    write(tmp_path, "a.yaml", "id: x\nquestion: y\n")
    with pytest.raises(FaqError, match="a.yaml: the file must be a YAML list"):
        load_faq(tmp_path)
    write(tmp_path, "a.yaml", "- id: [unclosed\n")
    with pytest.raises(FaqError, match="a.yaml: not valid YAML"):
        load_faq(tmp_path)


def test_entry_must_be_a_mapping(tmp_path):
    write(tmp_path, "a.yaml", "- just a string\n")
    with pytest.raises(FaqError, match="a.yaml entry 1: an entry must be a mapping"):
        load_faq(tmp_path)
