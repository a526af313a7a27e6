"""Desk reports: escalations per department and tier, answer times, missed targets, the topics that
get escalated most (the knowledge base should cover them next) and how many conversations the bot
answered entirely on its own. One `build` for the console page and the CSV export.
"""
from __future__ import annotations

import csv
import io
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from conversations.models import HUMAN, NOTE, STAFF, WAITING, Conversation, Message
from core.accounts import ADMIN, B_POST, CHIEF, WINDOW_STAFF
from core.db import utcnow
from desk import targets
from desk.models import Escalation

TIER_LABELS = {B_POST: "B岗", WINDOW_STAFF: "导办专窗", CHIEF: "科长", ADMIN: "管理员"}
TOP_TOPICS = 10


def tier_label(role: str) -> str:
    return TIER_LABELS.get(role, role)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (p90 of [1..10] is 9); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class GroupRow:
    department: str
    tier: str
    escalations: int = 0
    answered: int = 0
    open: int = 0
    missed: int = 0
    answer_hours: list[float] = field(default_factory=list, repr=False)

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.answer_hours) if self.answer_hours else None

    @property
    def p90_hours(self) -> float | None:
        return percentile(self.answer_hours, 0.9)

    def add(self, escalation: Escalation, now: datetime) -> None:
        self.escalations += 1
        if escalation.answered_at is not None:
            self.answered += 1
            self.answer_hours.append(targets.working_hours_between(escalation.created_at, escalation.answered_at))
        else:
            self.open += 1
        if targets.missed(escalation.due_at, escalation.answered_at, now):
            self.missed += 1


@dataclass
class TopicRow:
    topic: str
    count: int
    example: str


@dataclass
class BotShare:
    conversations: int
    answered_by_bot: int

    @property
    def share(self) -> float | None:
        return self.answered_by_bot / self.conversations if self.conversations else None


@dataclass
class Report:
    start: datetime | None
    end: datetime | None
    now: datetime
    rows: list[GroupRow]
    total: GroupRow
    topics: list[TopicRow]
    bot: BotShare


def _in_range(column, start: datetime | None, end: datetime | None) -> list:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def _escalation_rows(escalations: list[Escalation], now: datetime) -> tuple[list[GroupRow], GroupRow]:
    groups: dict[tuple[str, str], GroupRow] = {}
    total = GroupRow("合计", "全部")
    for escalation in escalations:
        key = (escalation.department, tier_label(escalation.origin_role))
        groups.setdefault(key, GroupRow(*key)).add(escalation, now)
        total.add(escalation, now)
    return [groups[key] for key in sorted(groups)], total


def _topics(escalations: list[Escalation]) -> list[TopicRow]:
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for escalation in escalations:
        for word in (escalation.topic or "").split():
            counts[word] += 1
            examples.setdefault(word, escalation.question)
    return [TopicRow(word, count, examples[word]) for word, count in
            sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_TOPICS]]


def handed_off_condition():
    """A conversation a human touched: queued for or owned by staff, handed off earlier, any staff-side
    message (replies, notes, take-over notices carry staff_id), or escalated from the desk."""
    staff_message = exists().where(Message.conversation_id == Conversation.id,
                                   or_(Message.author.in_((STAFF, NOTE)), Message.staff_id.is_not(None)))
    escalated = exists().where(Escalation.conversation_id == Conversation.id)
    return or_(Conversation.status.in_((WAITING, HUMAN)), Conversation.waiting_since.is_not(None),
               Conversation.handoff_reason.is_not(None), staff_message, escalated)


def bot_share(session: Session, start: datetime | None = None, end: datetime | None = None) -> BotShare:
    in_range = _in_range(Conversation.created_at, start, end)
    total = session.scalar(select(func.count(Conversation.id)).where(*in_range)) or 0
    touched = session.scalar(select(func.count(Conversation.id)).where(*in_range, handed_off_condition())) or 0
    return BotShare(conversations=total, answered_by_bot=total - touched)


def build(session: Session, start: datetime | None = None, end: datetime | None = None,
          now: datetime | None = None) -> Report:
    now = now or utcnow()
    escalations = list(session.scalars(select(Escalation).where(*_in_range(Escalation.created_at, start, end))
                                       .order_by(Escalation.id)))
    rows, total = _escalation_rows(escalations, now)
    return Report(start=start, end=end, now=now, rows=rows, total=total, topics=_topics(escalations),
                  bot=bot_share(session, start, end))


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def to_csv(report: Report) -> str:
    """UTF-8 CSV with a BOM (spreadsheet programs then read the Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["部门", "层级", "升级数", "已答复", "未答复", "超时数", "答复时长中位数(工作小时)",
                     "答复时长P90(工作小时)"])
    for row in [*report.rows, report.total]:
        writer.writerow([row.department, row.tier, row.escalations, row.answered, row.open, row.missed,
                         _hours(row.median_hours), _hours(row.p90_hours)])
    writer.writerow([])
    writer.writerow(["高频升级主题", "次数", "示例问题"])
    for topic in report.topics:
        writer.writerow([topic.topic, topic.count, topic.example])
    writer.writerow([])
    writer.writerow(["会话总数", "智能助手独立解答", "占比"])
    share = report.bot.share
    writer.writerow([report.bot.conversations, report.bot.answered_by_bot,
                     "" if share is None else f"{share:.1%}"])
    return "\ufeff" + out.getvalue()
