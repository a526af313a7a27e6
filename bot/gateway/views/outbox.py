"""Dev outbox (non-production only; registered by create_app outside production): what notify sent,
including the console SMS provider's messages. HTML at /dev/outbox, JSON at /dev/outbox/json."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template_string, request

from bot.gateway.db import get_db
from notify.__main__ import list_notifications, notification_to_dict

bp = Blueprint("outbox", __name__, url_prefix="/dev/outbox")

_PAGE = """{% extends "base.html" %}
{% block title %}开发用发件箱 · 一次{% endblock %}
{% block main %}
<h1>发件箱（开发环境）</h1>
<form method="get"><label>手机号或会话ID <input name="to" value="{{ to or '' }}"></label> <button>筛选</button></form>
<table class="outbox">
<thead><tr><th>#</th><th>渠道</th><th>接收方</th><th>模板</th><th>状态</th><th>尝试</th><th>时间</th><th>内容</th></tr></thead>
<tbody>
{% for n in rows %}
<tr><td>{{ n.id }}</td><td>{{ n.channel }}</td><td>{{ n.recipient }}</td><td>{{ n.template }}</td>
<td>{{ n.status }}</td><td>{{ n.attempts }}</td><td>{{ n.created_at.strftime('%Y-%m-%d %H:%M:%S') }}</td>
<td style="white-space: pre-wrap">{{ n.body }}</td></tr>
{% else %}
<tr><td colspan="8">暂无消息</td></tr>
{% endfor %}
</tbody></table>
{% endblock %}"""


def _rows():
    return list_notifications(get_db(), request.args.get("to") or None, limit=200)


@bp.get("")
def page():
    return render_template_string(_PAGE, rows=_rows(), to=request.args.get("to"))


@bp.get("/json")
def as_json():
    return jsonify([notification_to_dict(n) for n in _rows()])
