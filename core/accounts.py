"""Staff accounts for every console: window staff, reviewers, the escalation desk, admins."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import Base, UTCDateTime, utcnow

ADMIN = "admin"
WINDOW_STAFF = "window_staff"   # 窗口人员 / 导办专窗: the gateway's staff console
REVIEWER = "reviewer"           # department pre-review staff (reviewer console); has a department
B_POST = "b_post"               # escalation desk first line (B岗)
A_POST = "a_post"               # escalation desk experts (A岗); has a department
CHIEF = "chief"                 # section chief (科长): sees everything, reassigns
ROLES = (ADMIN, WINDOW_STAFF, REVIEWER, B_POST, A_POST, CHIEF)
ROLES_WITH_DEPARTMENT = (REVIEWER, A_POST)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(64), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    department: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def create_account(session: Session, username: str, password: str, role: str,
                   department: str | None = None, display_name: str | None = None) -> Account:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role in ROLES_WITH_DEPARTMENT and not department:
        raise ValueError(f"role {role} needs a department")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    if session.scalar(select(Account).where(Account.username == username)):
        raise ValueError(f"account {username!r} already exists")
    account = Account(username=username, display_name=display_name or username,
                      password_hash=generate_password_hash(password), role=role, department=department)
    session.add(account)
    session.flush()
    return account


def authenticate(session: Session, username: str, password: str) -> Account | None:
    account = session.scalar(select(Account).where(Account.username == username, Account.active.is_(True)))
    if account is None or not account.check_password(password):
        return None
    return account
