"""The production compose file is valid and refuses to start without its secrets (no engine needed)."""
import os
import shutil
import subprocess

import pytest

from core.config import ROOT

compose = shutil.which("docker-compose")
pytestmark = pytest.mark.skipif(compose is None and not os.environ.get("CI"), reason="docker-compose not installed")


def run_config(extra_env):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "POSTGRES_PASSWORD", "PUBLIC_BASE_URL")}
    return subprocess.run([compose or "docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                          env={**env, **extra_env}, cwd=ROOT, capture_output=True, text=True)


def test_compose_file_is_valid_with_secrets():
    result = run_config({"SECRET_KEY": "s" * 32, "POSTGRES_PASSWORD": "p", "PUBLIC_BASE_URL": "https://yici.example"})
    assert result.returncode == 0, result.stderr


def test_compose_refuses_missing_secrets():
    result = run_config({})
    assert result.returncode != 0
    assert "set " in result.stderr
