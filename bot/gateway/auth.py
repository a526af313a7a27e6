"""Staff login for every console: hashed passwords, CSRF on forms, a session timeout, roles."""
from __future__ import annotations

import functools
import time
from urllib.parse import urlparse

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from core.accounts import ADMIN, Account, authenticate
from core.config import get_settings
from bot.gateway.db import get_db

bp = Blueprint("auth", __name__, url_prefix="/staff")


def current_account() -> Account | None:
    return g.get("account")


def _load_account() -> Account | None:
    account_id = session.get("account_id")
    if account_id is None:
        return None
    last_seen = session.get("last_seen", 0)
    if time.time() - last_seen > get_settings().staff_session_minutes * 60:
        session.clear()
        return None
    account = get_db().get(Account, account_id)
    if account is None or not account.active:
        session.clear()
        return None
    session["last_seen"] = time.time()
    return account


def login_required(*roles: str):
    """Require a logged-in account; with roles, one of them (admins pass every role check)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            account = _load_account()
            if account is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and account.role not in roles and account.role != ADMIN:
                abort(403)
            g.account = account
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _safe_next(target: str | None) -> str:
    if target and not urlparse(target).netloc and target.startswith("/"):
        return target
    return url_for("staff.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        account = authenticate(get_db(), request.form.get("username", ""), request.form.get("password", ""))
        if account is None:
            flash("用户名或密码错误。")
            return render_template("staff/login.html"), 401
        session.clear()
        session["account_id"] = account.id
        session["last_seen"] = time.time()
        session.permanent = True
        return redirect(_safe_next(request.args.get("next")))
    return render_template("staff/login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
