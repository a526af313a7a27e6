"""The checklist page (一次性告知): the knowledge base's checklist, answers in the URL, a QR code."""
from __future__ import annotations

import base64
import urllib.parse

from knowledge.checklist import build_checklist


def test_checklist_page_lists_items_and_materials_with_a_qr_code(client):
    expected = build_checklist("restaurant", {}).to_dict()
    response = client.get("/checklist/restaurant")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "一次性告知清单" in html and expected["scenario"]["name"] in html
    for item in expected["items"]:
        assert item["name"] in html
    for material in expected["materials"]:
        assert material["name"] in html
    assert 'src="data:image/svg+xml' in html


def test_answers_in_the_url_change_the_checklist(client):
    unanswered = build_checklist("restaurant", {}).to_dict()["unanswered"]
    assert unanswered, "the restaurant scenario asks questions"
    question = unanswered[0]
    for option in (o["value"] for o in question["options"]):
        expected = build_checklist("restaurant", {question["key"]: option}).to_dict()
        html = client.get(f"/checklist/restaurant?{urllib.parse.urlencode({question['key']: option})}").get_data(
            as_text=True)
        for item in expected["items"]:
            assert item["name"] in html


def test_unknown_scenario_and_bad_answer_give_chinese_errors(client):
    missing = client.get("/checklist/no-such-shop")
    assert missing.status_code == 404 and "返回在线咨询" in missing.get_data(as_text=True)
    bad = client.get("/checklist/restaurant?no_such_question=1")
    assert bad.status_code == 400


def test_qr_code_encodes_the_page_url():
    from bot.gateway.checklist_page import qr_data_uri

    uri = qr_data_uri("https://yici.example.gov.cn/checklist/restaurant?seats=50")
    assert uri.startswith("data:image/svg+xml")
