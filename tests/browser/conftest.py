"""Browser tests: the gateway as a real HTTP server (werkzeug, in a thread) driven by Debian's Chromium."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from core.config import ROOT, reset_settings
from tests.bot.gateway.conftest import rasa  # noqa: F401  (fixture: the scripted Rasa REST server)
from tests.support.redis_server import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


class LiveGateway:
    def __init__(self, app, port: int):
        self.port = port
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LiveGateway":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_gateway(monkeypatch) -> LiveGateway:
    from bot.gateway import create_app

    port = free_port()
    monkeypatch.setenv("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    reset_settings()
    return LiveGateway(create_app(), port).start()


@pytest.fixture
def live_gateway(rasa, monkeypatch):  # noqa: F811
    """The gateway in front of the scripted Rasa stand-in (page mechanics: escaping, keyboard)."""
    gateway = start_gateway(monkeypatch)
    yield gateway
    gateway.stop()


@pytest.fixture
def live_real_gateway(rasa_env, rasa_stack, monkeypatch):
    """The gateway in front of the real Rasa server and action server (the session's stack)."""
    monkeypatch.setenv("RASA_URL", rasa_stack.rasa_url)
    monkeypatch.setenv("ACTION_SERVER_URL", rasa_stack.action_server_url)
    reset_settings()
    gateway = start_gateway(monkeypatch)
    yield gateway
    gateway.stop()


@pytest.fixture(scope="module")
def browser():
    """Module scope: Playwright's sync API runs an event loop in this thread while it is open, and other
    modules' tests need to run loops of their own (asyncio.run)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone_page(browser):
    """A phone-sized page (the chat is mobile-first)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
