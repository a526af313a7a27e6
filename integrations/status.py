"""What the bot and the consoles see of an application: each task's status, due dates, return reason.

Both backends return these value objects (the http backend builds them from the external JSON with
`from_dict`, which reads exactly what `to_dict` writes).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from integrations import states
from integrations.deadlines import is_overdue
from integrations.errors import NotFound
from integrations.schema import FIELD_LABELS

APPLICATION_ID_PATTERN = re.compile(r"^YC(\d{8})-?(\d{4,})$")


def normalise_application_id(value: str) -> str:
    """'yc20261122 0001' → 'YC20261122-0001'; NotFound with a Chinese hint for anything else."""
    compact = re.sub(r"[\s\-－—_]", "", value or "").upper()
    match = APPLICATION_ID_PATTERN.match(compact)
    if not match:
        raise NotFound("申请编号格式不正确，应类似 YC20261122-0001，请核对后重新输入。")
    return f"YC{match.group(1)}-{match.group(2)}"


def fix_labels(fix: list[str] | None) -> list[str]:
    return [FIELD_LABELS.get(key, key) for key in (fix or [])]


@dataclass
class TaskStatus:
    task_id: int | str
    kind: str
    name: str
    department: str
    state: str
    prereview_due: date
    processing_due: date | None = None
    reason: str | None = None
    fix: list[str] = field(default_factory=list)
    version: int = 1
    deadline_estimated: bool = False

    @property
    def state_label(self) -> str:
        return states.STATE_LABELS.get(self.state, self.state)

    @property
    def fix_labels(self) -> list[str]:
        return fix_labels(self.fix)

    @property
    def due(self) -> date | None:
        """The date the department owes the applicant the next step."""
        if self.state in states.AWAITING_PREREVIEW:
            return self.prereview_due
        if self.state in (states.PASSED, states.APPROVED):
            return self.processing_due
        return None

    @property
    def overdue(self) -> bool:
        return self.due is not None and is_overdue(self.due)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["prereview_due"] = self.prereview_due.isoformat()
        data["processing_due"] = self.processing_due.isoformat() if self.processing_due else None
        data["state_label"] = self.state_label
        data["fix_labels"] = self.fix_labels
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "TaskStatus":
        return cls(
            task_id=data["task_id"], kind=data["kind"], name=data["name"], department=data["department"],
            state=data["state"], prereview_due=date.fromisoformat(data["prereview_due"]),
            processing_due=date.fromisoformat(data["processing_due"]) if data.get("processing_due") else None,
            reason=data.get("reason"), fix=list(data.get("fix") or []), version=int(data.get("version", 1)),
            deadline_estimated=bool(data.get("deadline_estimated")))

    def line(self) -> str:
        """One Chinese line for chat or SMS."""
        text = f"{self.name}（{self.department}）：{self.state_label}"
        if self.state == states.RETURNED:
            text += f"。退回原因：{self.reason or '未说明'}"
            if self.fix:
                text += f"；需修改：{'、'.join(self.fix_labels)}"
        elif self.due:
            text += f"，预计{self.due.month}月{self.due.day}日前" + ("完成预审" if self.state in states.AWAITING_PREREVIEW else "办结")
            if self.deadline_estimated:
                text += "（按周一至周五估算）"
        return text


@dataclass
class ApplicationStatus:
    application_id: str
    display_name: str
    entity_type: str
    tasks: list[TaskStatus]

    @property
    def returned_tasks(self) -> list[TaskStatus]:
        return [task for task in self.tasks if task.state == states.RETURNED]

    @property
    def fields_to_fix(self) -> list[str]:
        """Union of the fields every returned task asks to fix, in a stable order."""
        keys: list[str] = []
        for task in self.returned_tasks:
            keys.extend(key for key in task.fix if key not in keys)
        return keys

    def to_dict(self) -> dict:
        return {"application_id": self.application_id, "display_name": self.display_name,
                "entity_type": self.entity_type, "tasks": [task.to_dict() for task in self.tasks],
                "fields_to_fix": self.fields_to_fix}

    @classmethod
    def from_dict(cls, data: dict) -> "ApplicationStatus":
        return cls(application_id=data["application_id"], display_name=data.get("display_name", ""),
                   entity_type=data.get("entity_type", ""),
                   tasks=[TaskStatus.from_dict(task) for task in data.get("tasks", [])])

    def summary(self) -> str:
        """A Chinese summary for the bot: one line per task."""
        lines = [f"申请编号 {self.application_id}（{self.display_name}）办理进度："]
        lines += [f"{index}. {task.line()}" for index, task in enumerate(self.tasks, 1)]
        return "\n".join(lines)


@dataclass
class Receipt(ApplicationStatus):
    """What submit() returns: the application number and the tasks it was split into."""

    def message(self) -> str:
        return (f"您的申请已提交，申请编号 {self.application_id}，请妥善保存。"
                f"共分为{len(self.tasks)}项由相关部门网上预审，预审结果将以短信通知您。")
