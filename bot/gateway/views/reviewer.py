"""Reviewer console for department pre-review staff (/review): task queue, task detail, decisions.

Reviewers see and decide only their own department's tasks; admins see all. Logic lives in
integrations.review and the workflow client; this module only maps requests to them.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from bot.gateway.auth import login_required
from bot.gateway.db import get_db
from core.accounts import REVIEWER
from integrations import get_workflow, records, review
from integrations.errors import Conflict, InvalidDecision, NotFound
from integrations.states import ACTION_LABELS, STATE_LABELS

bp = Blueprint("reviewer", __name__, url_prefix="/review")

DECISION_LABELS = {"pass": "预审通过", "return": "退回修改", "approve": "核准", "issue": "发证"}


@bp.get("/")
@login_required(REVIEWER)
def index():
    department = g.account.department if g.account.role == REVIEWER else (request.args.get("department") or None)
    include_closed = request.args.get("all") == "1"
    rows = review.queue(get_db(), department, include_closed=include_closed)
    return render_template("review/index.html", rows=rows, department=department, include_closed=include_closed)


def _load_task(task_id: int):
    try:
        task = records.find_task(get_db(), task_id)
    except NotFound:
        abort(404)
    if not review.can_review(g.account, task.department):
        abort(403)
    return task


def _render_detail(task, status: int = 200, form: dict | None = None):
    session = get_db()
    return render_template(
        "review/task.html", task=records.task_status(task), application=task.application,
        data=review.masked_application(task.application.data), events=review.history(session, task.id),
        choices=review.decision_choices(task.state), fix_choices=review.FIX_CHOICES,
        decision_labels=DECISION_LABELS, action_labels=ACTION_LABELS, state_labels=STATE_LABELS,
        form=form or {}), status


@bp.get("/tasks/<int:task_id>")
@login_required(REVIEWER)
def task_detail(task_id: int):
    return _render_detail(_load_task(task_id))


@bp.post("/tasks/<int:task_id>/decision")
@login_required(REVIEWER)
def decide(task_id: int):
    task = _load_task(task_id)
    session = get_db()
    decision = request.form.get("decision", "")
    version = request.form.get("version", type=int)
    try:
        get_workflow().decide(session, task_id, decision, reason=request.form.get("reason"),
                              fix=request.form.getlist("fix"), reviewer_id=g.account.id, expected_version=version)
        session.commit()
    except (InvalidDecision, Conflict) as exc:
        session.rollback()
        flash(exc.message)
        session.refresh(task)
        return _render_detail(task, 409 if isinstance(exc, Conflict) else 400, form=request.form)
    flash(f"已{DECISION_LABELS.get(decision, decision)}：{task.application.application_id} {task.name}")
    return redirect(url_for("reviewer.index"))
