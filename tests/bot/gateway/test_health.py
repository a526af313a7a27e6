"""Liveness, readiness and metrics of the gateway."""
from prometheus_client import Counter

PROBE = Counter("yici_test_probe", "a probe counter")


def test_healthz_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_each_dependency_and_fails_when_rasa_is_down(client, monkeypatch):
    # Nothing listens on these ports: Rasa and the action server are reported down, Redis and DB up.
    from core.config import get_settings
    import dataclasses

    app_settings = client.application.config["YICI_SETTINGS"]
    client.application.config["YICI_SETTINGS"] = dataclasses.replace(
        app_settings, rasa_url="http://127.0.0.1:9", action_server_url="http://127.0.0.1:9")
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["ready"] is False
    assert body["checks"]["redis"] == {"ok": True}
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["rasa"]["ok"] is False and "error" in body["checks"]["rasa"]
    assert body["checks"]["action_server"]["ok"] is False


def test_readyz_fails_when_redis_is_down(client):
    import dataclasses

    settings = client.application.config["YICI_SETTINGS"]
    client.application.config["YICI_SETTINGS"] = dataclasses.replace(settings, redis_url="redis://127.0.0.1:9/0")
    body = client.get("/readyz").get_json()
    assert body["checks"]["redis"]["ok"] is False


def test_metrics_in_prometheus_text_format(client):
    before = PROBE._value.get()
    PROBE.inc()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert f"yici_test_probe_total {before + 1}" in response.get_data(as_text=True)


def test_metrics_report_notification_statuses_from_the_database(client, db):
    from notify import outbox

    outbox.record(db, event_key="metrics-probe", template="checklist_link",
                  personalisation={"scenario_name": "饭店", "link": "http://x/checklist/restaurant"},
                  phone="13812345678")
    db.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'notify_messages{channel="sms",status="created"} 1.0' in text
