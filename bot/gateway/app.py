"""create_app: the one place where blueprints are registered together with their authentication."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from core.config import ConfigError, Settings, get_settings
from core.logsetup import setup_logging
from bot.gateway import auth, cli, db, warmup
from bot.gateway.views import chat, desk, health, outbox, reviewer, sms, staff, workflow_api

csrf = CSRFProtect()


def _require_database(settings: Settings) -> None:
    """Refuse to start (a clear error, gunicorn exits) when the database cannot be reached."""
    from core.db import check_database

    try:
        check_database(settings.database_url)
    except Exception as error:
        where = settings.database_url.split("@")[-1]
        raise ConfigError(f"the database at {where} cannot be reached: {type(error).__name__}: "
                          f"{str(error).splitlines()[0][:200]}") from None


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or get_settings()
    settings.check_production()
    setup_logging()
    _require_database(settings)
    warmup.warm_up(settings)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        YICI_SETTINGS=settings,
        MAX_CONTENT_LENGTH=64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.staff_session_minutes),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    db.init_app(app)
    csrf.init_app(app)
    cli.init_app(app)

    # Public, no login: applicants and health probes.
    app.register_blueprint(health.bp)
    app.register_blueprint(chat.bp)
    # Machine callers authenticate by signature, not by session: no CSRF token.
    app.register_blueprint(sms.bp)            # X-Twilio-Signature (twilio RequestValidator)
    app.register_blueprint(workflow_api.bp)   # HMAC-SHA256 over timestamp and body
    for blueprint in (chat.bp, sms.bp, workflow_api.bp):
        csrf.exempt(blueprint)
    # Consoles: session login with roles (bot.gateway.auth.login_required) and CSRF on every form.
    app.register_blueprint(auth.bp)
    app.register_blueprint(staff.bp)          # window staff, admin
    app.register_blueprint(reviewer.bp)       # department reviewers
    app.register_blueprint(desk.bp)           # escalation desk: B-post, A-post, chief
    if not settings.production:
        app.register_blueprint(outbox.bp)     # dev outbox of the console SMS provider
    return app
