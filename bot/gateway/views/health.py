"""Liveness, readiness (every dependency reported) and Prometheus metrics."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core.readiness import check_all
from notify.metrics import install_db_collector

bp = Blueprint("health", __name__)


@bp.record_once
def _register_collectors(_state) -> None:
    # Notification counts per status come from the database, so sends made by workers show here too.
    install_db_collector()


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    report = check_all(current_app.config["YICI_SETTINGS"])
    ready = all(item["ok"] for item in report.values())
    return jsonify(ready=ready, checks=report), (200 if ready else 503)


@bp.get("/metrics")
def metrics():
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
