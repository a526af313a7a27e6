"""Reports: per department and tier, median/p90 answer time in working hours, missed targets, top
topics, the share of conversations the bot answered alone; and the CSV export of the same numbers."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from bot.gateway.routing import mark_waiting
from conversations import store
from conversations.models import APPLICANT, BOT_AUTHOR
from desk import counter, escalations, reports, routing
from tests.desk.test_targets import local

MONDAY = local(2026, 11, 23, 10)


def build_history(db, staff):
    for hours, question in ((2, "外省健康证在杭州能用吗"), (4, "健康证过期了还能开店吗"), (30, "食品经营许可证怎么延续")):
        escalation = counter.escalate(db, staff.window, question=question, department="市场监管", now=MONDAY)
        escalations.claim(db, escalation.id, staff.a_market, now=MONDAY)
        escalations.answer(db, escalation.id, staff.a_market, "答复", now=MONDAY + timedelta(hours=hours))
    for _ in range(3):                                        # the bot answered these alone
        conversation = store.get_or_create(db)
        store.append(db, conversation.id, APPLICANT, "开饭店要办哪些证")
        store.append(db, conversation.id, BOT_AUTHOR, "需要营业执照和食品经营许可证。")
    waiting = store.get_or_create(db)
    store.append(db, waiting.id, APPLICANT, "我要找人工")
    mark_waiting(db, waiting, "申请人要求人工服务")
    escalated = store.get_or_create(db)
    store.append(db, escalated.id, APPLICANT, "消防检查要多久")
    mark_waiting(db, escalated, "机器人无法回答")
    db.commit()
    routing.take(db, escalated.id, staff.b_post)
    routing.escalate(db, staff.b_post, escalated.id, "消防", now=MONDAY)
    db.commit()


def test_report_numbers(db, staff):
    build_history(db, staff)
    report = reports.build(db, now=MONDAY + timedelta(days=3))
    rows = {(r.department, r.tier): r for r in report.rows}
    market = rows[("市场监管", "导办专窗")]
    assert (market.escalations, market.answered, market.open, market.missed) == (3, 3, 0, 1)
    assert (market.median_hours, market.p90_hours) == (4, 30)
    fire = rows[("消防", "B岗")]
    assert (fire.escalations, fire.answered, fire.missed, fire.median_hours) == (1, 0, 1, None)
    assert (report.total.escalations, report.total.missed) == (4, 2)
    assert report.topics[0].topic == "健康证" and report.topics[0].count == 2
    assert (report.bot.conversations, report.bot.answered_by_bot) == (5, 3)
    assert report.bot.share == 0.6

    later = reports.build(db, start=MONDAY + timedelta(days=1), now=MONDAY + timedelta(days=3))
    assert (later.total.escalations, later.rows, later.topics) == (0, [], [])   # raised before the range


def test_report_csv_has_the_same_numbers(db, staff):
    build_history(db, staff)
    text = reports.to_csv(reports.build(db, now=MONDAY + timedelta(days=3)))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["部门", "层级", "升级数"]
    assert ["市场监管", "导办专窗", "3", "3", "0", "1", "4.0", "30.0"] in rows
    assert ["合计", "全部", "4", "3", "1", "2", "4.0", "30.0"] in rows
    assert ["5", "3", "60.0%"] in rows
