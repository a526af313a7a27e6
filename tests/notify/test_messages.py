"""Templates: every one renders with its sample, stays within its SMS budget, and refuses missing keys."""
import pytest
from jinja2 import UndefinedError

from notify.__main__ import lint_rows, main
from notify.messages import MESSAGE_TYPES, OPT_OUT_HINT, UnknownTemplate, render, segments

EXPECTED = {"prereview_passed", "prereview_returned", "item_approved", "licence_issued", "checklist_link",
            "staff_reply", "bot_reply_sms", "prereview_overdue", "sign_reminder", "rating_request",
            "escalation_reminder", "escalation_answer"}


def test_every_message_type_has_both_channels_and_passes_lint(notify_env, capsys):
    assert set(MESSAGE_TYPES) == EXPECTED
    rows = lint_rows()
    assert len(rows) == 2 * len(EXPECTED)
    assert [r for r in rows if not r["ok"]] == []
    assert main(["lint"]) == 0
    assert "24/24" in capsys.readouterr().err


def test_sms_begins_with_signature_and_passed_names_next_steps(notify_env):
    body = render("prereview_passed", "sms", MESSAGE_TYPES["prereview_passed"].sample)
    assert body.startswith("【杭州一次办】")
    assert "高级实名认证" in body and "电子签名" in body and "https://yici.example.gov.cn/a/" in body


def test_returned_lists_department_reason_fix_and_deadline(notify_env):
    sample = MESSAGE_TYPES["prereview_returned"].sample
    chat = render("prereview_returned", "chat", sample)
    assert "消防" in chat and sample["reason"] in chat and "- 上传消防设施清单" in chat and "2026年11月30日" in chat
    as_text = render("prereview_returned", "sms", {**sample, "fix": "补充平面图"})
    assert "请修改：补充平面图" in as_text


def test_missing_key_is_an_error_not_a_blank(notify_env):
    with pytest.raises(UndefinedError):
        render("prereview_returned", "sms", {"name": "张三", "application_id": "YC1", "item_name": "x",
                                             "department": "消防", "fix": "y"})
    with pytest.raises(UnknownTemplate):
        render("no_such_template", "sms", {})


def test_link_defaults_to_the_public_site(notify_env):
    sample = {k: v for k, v in MESSAGE_TYPES["item_approved"].sample.items() if k != "link"}
    assert render("item_approved", "sms", sample).endswith("http://yici.test")


def test_non_essential_sms_carry_the_opt_out_hint(notify_env):
    assert render("rating_request", "sms", {"name": "张三"}).endswith(OPT_OUT_HINT)
    assert not render("staff_reply", "sms", {"text": "好的"}).endswith(OPT_OUT_HINT)


def test_lint_fails_over_budget(notify_env, monkeypatch):
    monkeypatch.setitem(MESSAGE_TYPES, "staff_reply",
                        MESSAGE_TYPES["staff_reply"].__class__("staff_reply", ("text",), True, 1, {"text": "长" * 80}))
    assert main(["lint"]) == 1


@pytest.mark.parametrize("text,expected", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),     # GSM-7
    ("{" * 80, 1), ("{" * 81, 2),                                      # GSM-7 extension: 2 units each
    ("中" * 70, 1), ("中" * 71, 2), ("中" * 134, 2), ("中" * 135, 3),   # UCS-2
])
def test_segments(text, expected):
    assert segments(text) == expected
