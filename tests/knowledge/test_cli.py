"""The CLI as operators and other processes use it: `python -m knowledge ...` in a child process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.knowledge.conftest import copy_core_data, read_yaml, write_yaml

ROOT = Path(__file__).resolve().parents[2]

FAQ = [
    {"id": "prereview-days", "question": "网上预审要几个工作日？", "paraphrases": ["预审多久能出结果", "预审需要多长时间"],
     "answer": "网上预审不超过2个工作日，结果以短信通知。", "source": "seeds/000 四.2", "confidence": "V", "topic": "时限"},
    {"id": "fees", "question": "办营业执照要收费吗？", "paraphrases": ["开办企业要花钱吗", "登记收不收费"],
     "answer": "企业开办全程免费。", "source": "杭政函〔2020〕21号", "confidence": "S", "topic": "收费"},
]


@pytest.fixture(scope="module")
def cli_data(tmp_path_factory) -> Path:
    directory = copy_core_data(tmp_path_factory.mktemp("cli") / "data")
    write_yaml(directory / "faq" / "basics.yaml", FAQ)
    return directory


def run(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KNOWLEDGE_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "knowledge", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_validate_passes_on_the_shipped_data():
    result = subprocess.run([sys.executable, "-m", "knowledge", "validate", "--json"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "KNOWLEDGE_DATA_DIR": ""})
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ok"] is True and summary["scenarios"] >= 10 and summary["items"] >= 20


def test_validate(cli_data):
    result = run(cli_data, "validate")
    assert result.returncode == 0, result.stderr
    assert "知识库校验通过" in result.stdout and "FAQ 2 条" in result.stdout


def test_validate_reports_the_file_entry_and_field(tmp_path):
    data = copy_core_data(tmp_path / "data")
    path = data / "scenarios" / "pharmacy.yaml"
    scenario = read_yaml(path)
    scenario["rules"].append({"item": "drug_wholesale_licence"})
    write_yaml(path, scenario)
    write_yaml(data / "faq" / "basics.yaml", [{k: v for k, v in FAQ[0].items() if k != "source"}])

    result = run(data, "validate")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "scenarios/pharmacy.yaml: scenario 'pharmacy': field 'rules[3]' (item 'drug_wholesale_licence'): " \
           "unknown item 'drug_wholesale_licence'" in result.stderr
    assert "faq/basics.yaml entry 1 (id 'prereview-days'): field 'source'" in result.stderr

    as_json = run(data, "validate", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["ok"] is False and len(json.loads(as_json.stdout)["errors"]) == 2


def test_scenarios_json(cli_data):
    result = run(cli_data, "scenarios", "--json")
    assert result.returncode == 0, result.stderr
    scenarios = json.loads(result.stdout)
    assert [s["id"] for s in scenarios][:3] == ["restaurant", "small_catering", "drinks_shop"]
    restaurant = scenarios[0]
    assert restaurant["name"] == "饭店/餐饮" and "饭馆" in restaurant["aliases"]
    keys = [q["key"] for q in restaurant["questions"]]
    assert keys == ["entity_type", "scale", "sells_tobacco", "public_gathering"]
    tobacco = restaurant["questions"][2]
    assert tobacco == {"key": "sells_tobacco", "prompt": "是否销售香烟（卷烟、雪茄烟）？",
                       "options": [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}], "default": "no"}


def test_checklist_json(cli_data):
    result = run(cli_data, "checklist", "--scenario", "饭店", "--answer", "entity_type=llc",
                 "--answer", "sells_tobacco=是", "--json")
    assert result.returncode == 0, result.stderr
    checklist = json.loads(result.stdout)
    assert checklist["scenario"] == {"id": "restaurant", "name": "饭店/餐饮"}
    required = {i["id"] for i in checklist["items"] if not i["optional"]}
    assert {"establish_llc", "multi_cert_enterprise", "food_business_licence", "tobacco_retail_licence",
            "company_seal"} <= required
    assert [q["key"] for q in checklist["unanswered"]] == ["scale", "public_gathering"]
    names = [m["name"] for m in checklist["materials"]]
    assert len(names) == len(set(names)) and "营业执照" not in names
    assert checklist["total_days"] == 10


def test_checklist_accepts_the_id_and_renders_chinese_text(cli_data):
    result = run(cli_data, "checklist", "--scenario", "beauty_salon")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("【美容美发】一次性告知清单")
    assert "公共场所卫生许可证（需办理" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--scenario", "开飞机"], "没有找到“开飞机”对应的行业套餐"),
    (["--scenario", "饭店", "--answer", "sells_tobacco=maybe"], "回答“maybe”无效"),
    (["--scenario", "饭店", "--answer", "colour=red"], "没有问题“colour”"),
    (["--scenario", "饭店", "--answer", "sells_tobacco"], "回答格式应为 KEY=VALUE"),
])
def test_checklist_bad_input(cli_data, args, message):
    result = run(cli_data, "checklist", *args)
    assert result.returncode == 2
    assert message in result.stderr and result.stdout == ""
    as_json = run(cli_data, "checklist", *args, "--json")
    assert as_json.returncode == 2 and message in json.loads(as_json.stdout)["error"]


def test_ask_answers_with_a_source(cli_data):
    result = run(cli_data, "ask", "网上预审要几个工作日？", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"answer", "source", "score"}
    assert answer["answer"] == FAQ[0]["answer"] and answer["source"].startswith("seeds/000")


def test_ask_refuses_out_of_scope(cli_data):
    result = run(cli_data, "ask", "离婚协议怎么写", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"answer": None}
    text = run(cli_data, "ask", "离婚协议怎么写")
    assert "转人工" in text.stdout


def test_usage_errors_exit_2(cli_data):
    assert run(cli_data, "checklist").returncode == 2
    assert run(cli_data, "no-such-command").returncode == 2
