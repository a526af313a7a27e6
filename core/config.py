"""Settings, read only from environment variables (documented in .env.example and the README)."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"

PRODUCTION = "production"


class ConfigError(RuntimeError):
    """Raised when the environment does not allow a process to start safely."""


def _default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'yici.db'}"


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = ""
    database_url: str = ""
    redis_url: str = "redis://127.0.0.1:6379/0"
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    public_base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Shanghai"
    # SMS / Twilio
    sms_signature: str = "【杭州一次办】"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_from_number: str = ""
    twilio_api_base: str = ""  # e.g. http://127.0.0.1:4010 for the local Twilio-compatible test server
    quiet_hours: str = "21:00-08:00"
    sms_hourly_limit: int = 5
    sign_reminder_days: int = 3
    notify_retry_intervals: str = "5,30,120,600,1800"  # seconds between delivery attempts (RQ Retry)
    twilio_http_timeout: int = 10  # seconds the twilio client waits for an answer
    # Workflow
    workflow_backend: str = "embedded"  # embedded | http
    workflow_url: str = ""
    workflow_secret: str = ""
    # Duty phones that get pre-review overdue reminders, e.g. "市场监管=13800000001,消防=13800000002"
    workflow_department_phones: str = ""
    # Privacy and limits
    transcript_retention_days: int = 365
    staff_session_minutes: int = 30
    chat_rate_limit_per_minute: int = 20
    sms_rate_limit_per_minute: int = 10
    # Escalation desk: answer-time target (working days) and how long before it the reminder goes out
    escalation_target_days: int = 1
    escalation_reminder_hours: int = 2
    # Knowledge base data directory (items, scenarios, faq/, jieba/); empty = knowledge/data
    knowledge_data_dir: str = ""

    @property
    def production(self) -> bool:
        return self.env == PRODUCTION

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid)

    def check_production(self) -> None:
        """Refuse to run in production with missing secrets: there are no default secrets anywhere."""
        if not self.production:
            return
        if not self.secret_key:
            raise ConfigError("SECRET_KEY must be set when YICI_ENV=production")
        if self.twilio_enabled and not self.twilio_auth_token:
            raise ConfigError("TWILIO_AUTH_TOKEN must be set when Twilio is configured in production")
        if self.workflow_backend == "http" and not self.workflow_secret:
            raise ConfigError("WORKFLOW_SECRET must be set when WORKFLOW_BACKEND=http in production")


_ENV_NAMES = {f.name: ("YICI_ENV" if f.name == "env" else f.name.upper()) for f in fields(Settings)}


def settings_from_env(environ: dict | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    values = {}
    for f in fields(Settings):
        raw = environ.get(_ENV_NAMES[f.name])
        if raw is None or raw == "":
            continue
        values[f.name] = int(raw) if f.type in ("int", int) else raw
    if not values.get("database_url"):
        values["database_url"] = _default_database_url()
    if not values.get("secret_key") and values.get("env", "development") != PRODUCTION:
        # Development only: a per-machine random key kept under var/, never a constant in code.
        values["secret_key"] = _dev_secret_key()
    return Settings(**values)


def _dev_secret_key() -> str:
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
