"""Tables of integrations (declared on core.db.Base; migrated by its own Alembic branch `integrations`).

wf_applications  one row per submitted application (embedded: the record; http: a local mirror that maps
                 the external application to the applicant's phone and conversation)
wf_tasks         one pre-review task per department piece (licence, N filings, each X item); `version`
                 guards concurrent decisions, `seq` counts transitions (event key = task id + seq)
wf_events        every transition, append-only
wf_received      signed requests and external event ids already seen (replay protection)
wf_counters      the last application number handed out per day
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow

EMBEDDED = "embedded"
HTTP = "http"


class WorkflowApplication(Base):
    __tablename__ = "wf_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)  # YC20261122-0001
    backend: Mapped[str] = mapped_column(String(10), nullable=False, default=EMBEDDED)
    schema_version: Mapped[int] = mapped_column(Integer, nullable=False)
    entity_type: Mapped[str] = mapped_column(String(16), nullable=False)
    display_name: Mapped[str] = mapped_column(String(60), nullable=False)
    applicant_name: Mapped[str] = mapped_column(String(30), nullable=False)
    phone: Mapped[str] = mapped_column(String(20), index=True, nullable=False)  # E.164
    conversation_id: Mapped[str | None] = mapped_column(String(32), index=True)
    data: Mapped[dict] = mapped_column(JSON, nullable=False)   # Application.model_dump(mode="json")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    tasks: Mapped[list["WorkflowTask"]] = relationship(
        back_populates="application", order_by="WorkflowTask.id", lazy="selectin")


class WorkflowTask(Base):
    __tablename__ = "wf_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("wf_applications.id"), index=True, nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # http backend: the remote task id
    kind: Mapped[str] = mapped_column(String(4), nullable=False)        # "1" | "N" | "X"
    item_ids: Mapped[list] = mapped_column(JSON, nullable=False)       # knowledge item ids in this task
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    department: Mapped[str] = mapped_column(String(32), index=True, nullable=False)
    state: Mapped[str] = mapped_column(String(16), index=True, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    prereview_due: Mapped[date] = mapped_column(Date, nullable=False)
    processing_days: Mapped[int] = mapped_column(Integer, nullable=False)
    processing_due: Mapped[date | None] = mapped_column(Date)
    deadline_estimated: Mapped[bool] = mapped_column(default=False, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    fix: Mapped[list | None] = mapped_column(JSON)
    reviewer_id: Mapped[int | None] = mapped_column(Integer)
    overdue_notified_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    application: Mapped[WorkflowApplication] = relationship(back_populates="tasks", lazy="joined")


class WorkflowEvent(Base):
    __tablename__ = "wf_events"
    __table_args__ = (UniqueConstraint("task_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("wf_tasks.id"), index=True, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    from_state: Mapped[str] = mapped_column(String(16), nullable=False)
    to_state: Mapped[str] = mapped_column(String(16), nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)  # reviewer:<id> | applicant | system | external
    reason: Mapped[str | None] = mapped_column(Text)
    fix: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ReceivedRequest(Base):
    """A signature or an external event id we have accepted once; a second arrival is a replay."""

    __tablename__ = "wf_received"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)  # sig:<hex> | event:<id>
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True, nullable=False)


class ApplicationCounter(Base):
    """Daily sequence of application numbers (YCyyyymmdd-nnnn), incremented under the row's write lock."""

    __tablename__ = "wf_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)   # yyyymmdd, Asia/Shanghai
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
