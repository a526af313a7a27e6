"""A description of the machine the figures were measured on (printed and written with the results)."""
from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import psutil

from core.config import ROOT


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "unknown"


def describe() -> dict[str, str]:
    memory = psutil.virtual_memory()
    rasa_python = ROOT / ".venv-rasa" / "bin" / "python"
    return {
        "cores (nproc)": str(os.cpu_count()),
        "CPU": _cpu_model(),
        "memory": f"{memory.total / 2**30:.1f} GiB total, {memory.available / 2**30:.1f} GiB available at start",
        "OS": f"{platform.system()} {platform.release()}",
        "app Python": platform.python_version(),
        "Rasa Python": _version([str(rasa_python), "--version"]),
        "Rasa": _version([str(rasa_python), "-c", "import rasa; print(rasa.__version__)"]),
        "Redis": _version([_redis_binary(), "--version"]),
    }


def _redis_binary() -> str:
    from tests.support.redis_server import redis_server_binary

    return redis_server_binary()
