import pytest

from core.config import ConfigError, settings_from_env


def test_production_refuses_to_start_without_secret_key():
    settings = settings_from_env({"YICI_ENV": "production"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        settings.check_production()


def test_production_refuses_twilio_without_auth_token():
    settings = settings_from_env({"YICI_ENV": "production", "SECRET_KEY": "x" * 32, "TWILIO_ACCOUNT_SID": "AC1"})
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        settings.check_production()


def test_integers_and_defaults_from_environment():
    settings = settings_from_env({"SMS_HOURLY_LIMIT": "7"})
    assert settings.sms_hourly_limit == 7
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/yici.db")
    assert settings.secret_key  # development: a random per-machine key under var/, never a constant
