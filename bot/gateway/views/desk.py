"""Escalation desk console (/desk): B-post triage, A-post department queues, the chief's overview,
counter questions of window staff, the asker's inbox, FAQ candidates and reports. Thin views: the
logic is in desk/ (and bot.gateway.routing for replying in a conversation)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from bot.gateway import routing as conversation_routing
from bot.gateway import sms_channel, transcripts
from bot.gateway.auth import login_required
from bot.gateway.db import get_db
from conversations import store
from core.accounts import A_POST, B_POST, CHIEF, WINDOW_STAFF, Account
from desk import candidates, counter, delivery, escalations, reports, routing, targets
from desk.errors import DeskError, NotFound, NotPermitted
from desk.models import CLAIMED, OPEN, PROPOSED, STATE_LABELS, StaffContact

bp = Blueprint("desk", __name__, url_prefix="/desk")

DESK_ROLES = (B_POST, A_POST, CHIEF, WINDOW_STAFF)
TRIAGE = (B_POST, CHIEF)
MAX_REPLY_CHARS = 1000


def _run(action, success: str | None = None):
    """Run a desk action and commit; a refused action is rolled back and its Chinese message flashed."""
    db = get_db()
    try:
        result = action(db)
        db.commit()
    except NotFound:
        db.rollback()
        abort(404)
    except NotPermitted as error:
        db.rollback()
        flash(str(error))
        abort(403)
    except DeskError as error:
        db.rollback()
        flash(str(error))
        return None
    if success:
        flash(success)
    return result


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {a.id: a.display_name for a in get_db().query(Account).filter(Account.id.in_(ids))}


def _common() -> dict:
    return {"state_labels": STATE_LABELS, "departments": escalations.departments(),
            "now": datetime.now(targets.local_zone()), "reminder_lead": targets.reminder_lead()}


# ---- dashboards ------------------------------------------------------------------------------------

@bp.get("/")
@login_required(*DESK_ROLES)
def index():
    account, db = g.account, get_db()
    if account.role == WINDOW_STAFF:
        return redirect(url_for("desk.counter_page"))
    context = {"inbox": escalations.inbox(db, account)}
    if account.role in TRIAGE or escalations.is_supervisor(account):
        context["waiting"] = routing.waiting_conversations(db)
        context["mine"] = routing.owned_conversations(db, account)
    if account.role == A_POST:
        context["queue"] = escalations.department_queue(db, account)
    else:
        context["queue"] = escalations.visible(db, account, states=(OPEN, CLAIMED))
    if escalations.is_supervisor(account):
        context["candidates_waiting"] = len(candidates.listing(db, PROPOSED))
    names = _names([e.owner_id for e in context["queue"]] + [e.created_by_id for e in context["queue"]])
    return render_template("desk/index.html", names=names, waiting_minutes=transcripts.waiting_minutes,
                           **context, **_common())


@bp.get("/escalations")
@login_required(*DESK_ROLES)
def escalation_list():
    state = request.args.get("state") or None
    department = request.args.get("department") or None
    rows = escalations.visible(get_db(), g.account, states=(state,) if state else None, department=department)
    names = _names([e.owner_id for e in rows] + [e.created_by_id for e in rows])
    return render_template("desk/escalations.html", rows=rows, names=names, state=state, department=department,
                           **_common())


@bp.get("/inbox")
@login_required(*DESK_ROLES)
def inbox():
    rows = escalations.inbox(get_db(), g.account)
    return render_template("desk/inbox.html", rows=rows, names=_names([e.answered_by_id for e in rows]),
                           **_common())


# ---- B-post: conversations from the bot queue --------------------------------------------------------

@bp.get("/conversations/<conversation_id>")
@login_required(*TRIAGE)
def conversation(conversation_id: str):
    db = get_db()
    try:
        found = routing.get_conversation(db, conversation_id)
    except NotFound:
        abort(404)
    messages = store.messages_after(db, conversation_id, include_notes=True)
    raised = [e for e in escalations.visible(db, g.account) if e.conversation_id == conversation_id]
    return render_template("desk/conversation.html", conversation=found,
                           messages=[transcripts.present(m) for m in messages],
                           names=_names([found.owner_id, *(m.staff_id for m in messages)]),
                           escalations_raised=raised, max_reply=MAX_REPLY_CHARS, **_common())


@bp.post("/conversations/<conversation_id>/take")
@login_required(*TRIAGE)
def take(conversation_id: str):
    _run(lambda db: routing.take(db, conversation_id, g.account))
    return redirect(url_for("desk.conversation", conversation_id=conversation_id))


@bp.post("/conversations/<conversation_id>/reply")
@login_required(*TRIAGE)
def reply(conversation_id: str):
    text = request.form.get("text", "").strip()
    if not text or len(text) > MAX_REPLY_CHARS:
        flash(f"回复不能为空，且不超过 {MAX_REPLY_CHARS} 字。")
        return redirect(url_for("desk.conversation", conversation_id=conversation_id))

    def _reply(db):
        found = routing.get_conversation(db, conversation_id)
        if found.owner_id != g.account.id:
            raise DeskError("请先接手该会话再回复。")
        with conversation_routing.conversation_lock(conversation_id):
            message = conversation_routing.staff_reply(db, found, g.account.id, text)
            sms_channel.deliver_staff_reply(db, found, message)

    try:
        _run(_reply)
    except conversation_routing.ConversationBusy:
        get_db().rollback()
        flash("该会话正在处理中，请稍后再试。")
    return redirect(url_for("desk.conversation", conversation_id=conversation_id))


@bp.post("/conversations/<conversation_id>/escalate")
@login_required(*TRIAGE)
def escalate_conversation(conversation_id: str):
    form = request.form
    message_id = int(form["message_id"]) if form.get("message_id", "").isdigit() else None
    escalation = _run(lambda db: routing.escalate(db, g.account, conversation_id, form.get("department", ""),
                                                  note=form.get("note"), message_id=message_id,
                                                  question=form.get("question")),
                      success="已升级至A岗专家。")
    if escalation is not None:
        return redirect(url_for("desk.escalation", escalation_id=escalation.id))
    return redirect(url_for("desk.conversation", conversation_id=conversation_id))


# ---- window staff at the counter ---------------------------------------------------------------------

@bp.route("/counter", methods=["GET", "POST"])
@login_required(WINDOW_STAFF, B_POST, CHIEF)
def counter_page():
    question, answer, asked = request.form.get("question", "").strip(), None, False
    if request.method == "POST":
        try:
            answer = counter.ask_knowledge_base(question)
            asked = True
        except DeskError as error:
            flash(str(error))
    return render_template("desk/counter.html", question=question, answer=answer, asked=asked,
                           inbox=escalations.inbox(get_db(), g.account), **_common())


@bp.post("/counter/escalate")
@login_required(WINDOW_STAFF, B_POST, CHIEF)
def counter_escalate():
    form = request.form
    phone = form.get("phone") if form.get("send_sms") else None
    escalation = _run(lambda db: counter.escalate(db, g.account, question=form.get("question", ""),
                                                  department=form.get("department", ""), phone=phone,
                                                  note=form.get("note")),
                      success="已提交A岗专家，答复后将出现在您的收件箱。")
    if escalation is None:
        return render_template("desk/counter.html", question=form.get("question", ""), answer=None, asked=True,
                               inbox=escalations.inbox(get_db(), g.account), form=form, **_common()), 400
    return redirect(url_for("desk.escalation", escalation_id=escalation.id))


# ---- one escalation ------------------------------------------------------------------------------------

def _visible_escalation(escalation_id: int):
    db = get_db()
    try:
        escalation = escalations.get(db, escalation_id)
    except NotFound:
        abort(404)
    if not escalations.can_view(g.account, escalation):
        abort(403)
    return escalation


@bp.get("/escalations/<int:escalation_id>")
@login_required(*DESK_ROLES)
def escalation(escalation_id: int):
    db = get_db()
    found = _visible_escalation(escalation_id)
    events = escalations.history(db, escalation_id)
    experts = list(db.query(Account).filter(Account.role == A_POST, Account.active.is_(True))
                   .order_by(Account.department, Account.display_name))
    names = _names([found.owner_id, found.created_by_id, found.answered_by_id, *(e.actor_id for e in events)])
    return render_template("desk/escalation.html", e=found, events=events, experts=experts, names=names,
                           can_answer=escalations.can_answer(g.account, found),
                           candidate=candidates.for_escalation(db, escalation_id), **_common())


def _escalation_action(escalation_id: int, action, success: str):
    _run(lambda db: action(db), success=success)
    return redirect(url_for("desk.escalation", escalation_id=escalation_id))


@bp.post("/escalations/<int:escalation_id>/claim")
@login_required(A_POST)
def claim(escalation_id: int):
    return _escalation_action(escalation_id, lambda db: escalations.claim(db, escalation_id, g.account), "已认领。")


@bp.post("/escalations/<int:escalation_id>/release")
@login_required(A_POST, CHIEF)
def release(escalation_id: int):
    return _escalation_action(escalation_id, lambda db: escalations.release(db, escalation_id, g.account),
                              "已退回部门队列。")


@bp.post("/escalations/<int:escalation_id>/answer")
@login_required(A_POST)
def answer(escalation_id: int):
    form = request.form
    return _escalation_action(
        escalation_id, lambda db: escalations.answer(db, escalation_id, g.account, form.get("answer", ""),
                                                     source=form.get("source")), "已答复。")


@bp.post("/escalations/<int:escalation_id>/reassign")
@login_required(CHIEF)
def reassign(escalation_id: int):
    form = request.form
    owner_id = int(form["owner_id"]) if form.get("owner_id", "").isdigit() else None
    return _escalation_action(
        escalation_id, lambda db: escalations.reassign(db, escalation_id, g.account, owner_id=owner_id,
                                                       department=form.get("department") or None,
                                                       note=form.get("note")), "已改派。")


@bp.post("/escalations/<int:escalation_id>/close")
@login_required(*DESK_ROLES)
def close(escalation_id: int):
    return _escalation_action(escalation_id, lambda db: escalations.close(db, escalation_id, g.account), "已关闭。")


# ---- FAQ candidates ---------------------------------------------------------------------------------------

@bp.route("/escalations/<int:escalation_id>/candidate", methods=["GET", "POST"])
@login_required(A_POST, B_POST, CHIEF)
def propose(escalation_id: int):
    found = _visible_escalation(escalation_id)
    draft = candidates.draft_for(get_db(), escalation_id)
    if request.method == "POST":
        form = request.form
        draft = {"question": form.get("question", ""), "paraphrases": candidates.parse_paraphrases(form.get("paraphrases")),
                 "answer": form.get("answer", ""), "source": form.get("source", "")}
        made = _run(lambda db: candidates.propose(db, escalation_id, g.account, **draft),
                    success="已提交候选问答，待科长审核后入库。")
        if made is not None:
            return redirect(url_for("desk.escalation", escalation_id=escalation_id))
    return render_template("desk/propose.html", e=found, draft=draft, **_common())


@bp.get("/candidates")
@login_required(CHIEF)
def candidate_list():
    state = request.args.get("state", PROPOSED)
    rows = candidates.listing(get_db(), state or None)
    return render_template("desk/candidates.html", rows=rows, state=state,
                           names=_names([c.proposed_by_id for c in rows] + [c.reviewed_by_id for c in rows]),
                           **_common())


@bp.route("/candidates/<int:candidate_id>", methods=["GET", "POST"])
@login_required(CHIEF)
def candidate(candidate_id: int):
    db = get_db()
    if request.method == "POST":
        form, action = request.form, request.form.get("action")
        fields = {"question": form.get("question", ""), "paraphrases": form.get("paraphrases", ""),
                  "answer": form.get("answer", ""), "source": form.get("source", "")}
        if action == "reject":
            _run(lambda db: candidates.reject(db, candidate_id, g.account, form.get("reason")), "已驳回。")
        elif action == "approve":
            # the maintainer's last edits are saved and approved in one transaction
            _run(lambda db: (candidates.edit(db, candidate_id, g.account, **fields),
                             candidates.approve(db, candidate_id, g.account)), "已审核通过并写入知识库。")
        else:
            _run(lambda db: candidates.edit(db, candidate_id, g.account, **fields), "已保存修改。")
        return redirect(url_for("desk.candidate", candidate_id=candidate_id))
    try:
        found = candidates.get(db, candidate_id)
    except NotFound:
        abort(404)
    return render_template("desk/candidate.html", c=found, e=escalations.get(db, found.escalation_id),
                           names=_names([found.proposed_by_id, found.reviewed_by_id]), **_common())


# ---- reports -------------------------------------------------------------------------------------------------

def _report():
    zone = targets.local_zone()

    def day(name: str):
        raw = request.args.get(name, "")
        try:
            return datetime.combine(datetime.strptime(raw, "%Y-%m-%d").date(), time(0), zone) if raw else None
        except ValueError:
            flash("日期格式应为 YYYY-MM-DD。")
            return None

    start, end = day("start"), day("end")
    if end is not None:
        end += timedelta(days=1)   # inclusive end date
    return reports.build(get_db(), start=start, end=end)


@bp.get("/reports")
@login_required(CHIEF)
def report_page():
    return render_template("desk/reports.html", report=_report(), args=request.args, **_common())


@bp.get("/reports.csv")
@login_required(CHIEF)
def report_csv():
    body = reports.to_csv(_report())
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=desk-report.csv"})


# ---- reminder phone -----------------------------------------------------------------------------------------

@bp.route("/profile", methods=["GET", "POST"])
@login_required(A_POST, B_POST, CHIEF)
def profile():
    if request.method == "POST":
        _run(lambda db: delivery.set_reminder_phone(db, g.account, request.form.get("phone")), "已保存。")
        return redirect(url_for("desk.profile"))
    contact = get_db().get(StaffContact, g.account.id)
    return render_template("desk/profile.html", contact=contact, **_common())
