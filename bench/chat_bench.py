"""Chat turns: the full stack (POST /api/chat/messages → gateway → Rasa → actions → knowledge) beside
bare Rasa (the same model, the same utterances, straight to Rasa's REST webhook, no action server).

Every simulated applicant runs realistic multi-turn scripts (below). A turn "@1" clicks the first quick
reply of the previous answer (both sides send the button's payload, as the web page does); when there
is no button it sends FALLBACK_REPLY instead.

Two views of the same run:
- all turns: every turn of every script. Bare Rasa cannot run custom actions (its action server does
  not exist), so on turns that need one it does less work than the full stack: not like for like.
- comparable turns: only turns that ran no custom action on either side (only utter_* responses and
  Rasa's built-in actions, read from both trackers during a warm-up pass). The targets are judged here.
  Every comparable conversation is opened with COMPARABLE_OPENER before the clock starts: Yici's session
  start is a custom action (it welcomes a returning applicant), which bare Rasa cannot run, so the first
  turn of a new conversation is never comparable; timed, it would load Rasa during the measured turns
  on one side only. Bare Rasa gets it twice (BareRasaChannel.opener_sends): same history on both sides.
"""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import requests

from bench.loadgen import LoadResult, Script, TurnRecord, run_load
from bench.stats import Summary, summarise
from bot.gateway.rasa_client import TURN_HEADERS

CLICK_FIRST_BUTTON = "@1"
COMPARABLE_OPENER = "你好"   # opens each comparable conversation, untimed (its session start included)
FALLBACK_REPLY = "好的"
TIMEOUT = (5, 120)

SCRIPTS: tuple[Script, ...] = (
    Script("饭店一次性告知", ("你好", "我想在西湖区开一家饭店，需要准备哪些材料", "@1", "@1", "@1", "@1",
                          "谢谢", "再见")),
    Script("指南问答", ("您好", "什么是1+N+X多证合一", "多证合一到底合了哪几个证", "预审一般要几天",
                      "办营业执照要交钱吗", "好的谢谢")),
    Script("奶茶店清单和问答", ("在吗", "开奶茶店要办哪些证", "@1", "@1", "食品经营许可证多久能拿到",
                             "谢谢 拜拜")),
    Script("查询进度", ("你好", "我想查一下我的申请进度", "YC20260105-0001", "13812345678", "谢谢")),
    Script("开始申请又取消", ("你好", "我要申请营业执照", "个体工商户", "不办了", "再见")),
    Script("闲聊和超出范围", ("哈喽", "你是谁", "今天天气怎么样", "离婚手续怎么办", "好吧", "再见")),
)

# Rasa's built-in actions (rasa.shared.core.constants.DEFAULT_ACTION_NAMES): they run inside Rasa.
BUILTIN_ACTIONS = frozenset({
    # action_session_start is not here: Yici overrides it (bot/actions/session.py), so it needs the action server.
    "action_listen", "action_restart", "action_default_fallback",
    "action_deactivate_loop", "action_revert_fallback_events", "action_default_ask_affirmation",
    "action_default_ask_rephrase", "action_back", "action_two_stage_fallback", "action_unlikely_intent",
    "action_extract_slots", "action_send_text",
})


def _next_text(text: str, last_buttons: list[dict]) -> str:
    if text != CLICK_FIRST_BUTTON:
        return text
    if last_buttons:
        return last_buttons[0].get("payload") or last_buttons[0].get("title") or FALLBACK_REPLY
    return FALLBACK_REPLY


class GatewayConversation:
    def __init__(self, http: requests.Session, base_url: str):
        self.http, self.base_url = http, base_url
        self.key = ""
        self.buttons: list[dict] = []

    def send(self, text: str) -> list[str]:
        body = {"text": _next_text(text, self.buttons)}
        if self.key:
            body["conversation_id"] = self.key
        response = self.http.post(f"{self.base_url}/api/chat/messages", json=body, timeout=TIMEOUT)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        answer = response.json()
        self.key = answer["conversation_id"]
        replies = [m for m in answer["messages"] if m.get("author", "bot") != "applicant"]
        self.buttons = next((m["buttons"] for m in reversed(replies) if m.get("buttons")), [])
        return [m.get("text", "") for m in replies]


class GatewayChannel:
    name = "full stack"

    def __init__(self, base_url: str):
        self.base_url = base_url

    def open(self, http: requests.Session) -> GatewayConversation:
        return GatewayConversation(http, self.base_url)


class RasaConversation:
    def __init__(self, http: requests.Session, rasa_url: str):
        self.http, self.rasa_url = http, rasa_url
        self.key = uuid.uuid4().hex
        self.buttons: list[dict] = []

    def send(self, text: str) -> list[str]:
        # Sent the way the gateway sends turns (a new connection each): Rasa at its best. On a kept-alive
        # connection a turn can wait behind a whole batch of others (bot/gateway/rasa_client.py), and bare
        # Rasa's tail would be the client's doing.
        response = self.http.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                  json={"sender": self.key, "message": _next_text(text, self.buttons)},
                                  headers=TURN_HEADERS, timeout=TIMEOUT)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        replies = response.json()
        self.buttons = next((r["buttons"] for r in reversed(replies) if r.get("buttons")), [])
        return [r.get("text") or "" for r in replies]


class BareRasaChannel:
    name = "bare Rasa"
    # The opener twice: without an action server Rasa's first message of a conversation fails its session
    # start, and the fallback rewinds that message out of the tracker; the second is the greeting turn
    # that the full stack's tracker holds after its one opener. Both sides' measured turns then start from
    # the same dialogue history, so Rasa does the same work for them (with one opener bare Rasa's trackers
    # were a turn shorter, and its turns about 10 % cheaper).
    opener_sends = 2

    def __init__(self, rasa_url: str):
        self.rasa_url = rasa_url

    def open(self, http: requests.Session) -> RasaConversation:
        return RasaConversation(http, self.rasa_url)


# ---------------------------------------------------------------- which turns are comparable

def actions_per_turn(tracker: dict) -> list[list[str]]:
    """The actions Rasa ran for each user message of a tracker, in order.

    The session start that Rasa runs before the first message belongs to the first turn."""
    turns: list[list[str]] = []
    before_first: list[str] = []
    for event in tracker.get("events", []):
        if event.get("event") == "user":
            turns.append(before_first if not turns else [])
        elif event.get("event") == "action" and event.get("name") != "action_listen":
            (turns[-1] if turns else before_first).append(event["name"])
    return turns


def needs_action_server(actions: list[str]) -> bool:
    return any(not (name.startswith("utter_") or name in BUILTIN_ACTIONS) for name in actions)


def fetch_tracker(rasa_url: str, sender: str) -> dict:
    response = requests.get(f"{rasa_url}/conversations/{sender}/tracker", timeout=30)
    response.raise_for_status()
    return response.json()


def script_actions(records: list[TurnRecord], rasa_url: str) -> dict[tuple[str, int], list[str]]:
    """(script, turn index) → actions Rasa ran for it, from the trackers of one pass over the scripts."""
    out: dict[tuple[str, int], list[str]] = {}
    for key in {r.conversation for r in records if r.conversation}:
        turns = actions_per_turn(fetch_tracker(rasa_url, key))
        mine = sorted((r for r in records if r.conversation == key), key=lambda r: r.index)
        for record, actions in zip(mine, turns):
            out[(record.script, record.index)] = actions
    return out


@dataclass
class Classification:
    comparable: set[tuple[str, int]]
    full_actions: dict[tuple[str, int], list[str]]
    bare_actions: dict[tuple[str, int], list[str]]

    def describe(self) -> list[str]:
        lines = []
        for script in SCRIPTS:
            marks = []
            for index, text in enumerate(script.turns):
                key = (script.name, index)
                custom = [a for a in self.full_actions.get(key, []) if needs_action_server([a])]
                marks.append(f"{text}" + ("" if key in self.comparable else f" [{', '.join(custom) or 'diverged'}]"))
            lines.append(f"{script.name}: " + " → ".join(marks))
        return lines


def classify(full_warmup: LoadResult, full_rasa_url: str, bare_warmup: LoadResult, bare_rasa_url: str) -> Classification:
    full = script_actions(full_warmup.records, full_rasa_url)
    bare = script_actions(bare_warmup.records, bare_rasa_url)
    comparable = {key for key, actions in full.items()
                  if key in bare and not needs_action_server(actions) and not needs_action_server(bare[key])}
    return Classification(comparable, full, bare)


# ---------------------------------------------------------------- measuring

LEVELS = (1, 4, 16)
SCRIPTS_PER_APPLICANT = {1: 6, 4: 3, 16: 3}   # 16 x 3: enough turns at the judged level for steady figures
# The comparable phase (where the targets are judged) is measured in this many rounds per level, the two
# sides alternating bare-full, full-bare, bare-full..., and each side's rounds pooled into one figure: on a
# shared 2-core machine one run per side moved the p95 ratio by ±0.3 from minute to minute (five rounds:
# the per-round ratios still spread 0.98-1.35 in one run).
COMPARABLE_ROUNDS = 5


def comparable_scripts(scripts, comparable: set[tuple[str, int]]) -> tuple[Script, ...]:
    """The scripts cut down to their comparable turns (scripts left with fewer than two turns dropped)."""
    out = []
    for script in scripts:
        turns = tuple(t for i, t in enumerate(script.turns) if (script.name, i) in comparable)
        if len(turns) >= 2:
            out.append(Script(script.name, turns))
    return tuple(out)


def warm_up(channel, scripts=SCRIPTS, opener: str | None = None) -> LoadResult:
    """One applicant runs every script once (loads lazy caches; its trackers classify the turns)."""
    return run_load(channel, scripts, concurrency=1, scripts_per_applicant=len(scripts), opener=opener)


@dataclass(frozen=True)
class Phase:
    """One set of measured runs: which scripts, which turns count (None: all), and the untimed opener."""
    label: str
    scripts: tuple[Script, ...]
    keep: frozenset[tuple[str, int]] | None = None
    opener: str | None = None
    rounds: int = 1


def plan(full_channel, full_rasa_url: str, bare_channel, bare_rasa_url: str) -> tuple[Classification, list[Phase]]:
    """Warm both sides up, classify every turn from the trackers, and return the phases to measure:
    all turns, then (when two comparable turns remain in some script) the comparable turns, warmed up
    and classified again as they are measured, each conversation opened with COMPARABLE_OPENER."""
    classification = classify(warm_up(full_channel), full_rasa_url, warm_up(bare_channel), bare_rasa_url)
    phases = [Phase("all turns", SCRIPTS)]
    comparable = comparable_scripts(SCRIPTS, classification.comparable)
    if comparable:
        still = classify(warm_up(full_channel, comparable, COMPARABLE_OPENER), full_rasa_url,
                         warm_up(bare_channel, comparable, COMPARABLE_OPENER), bare_rasa_url).comparable
        phases.append(Phase("comparable", comparable, frozenset(still), COMPARABLE_OPENER, COMPARABLE_ROUNDS))
    return classification, phases


@dataclass
class SideBySideResult:
    """One phase at one level: each side's rounds pooled, and the p95 ratio of every round on its own."""
    full: LoadResult
    bare: LoadResult
    round_p95_ratios: list[float]


def measure(full_channel, bare_channel, phase: Phase, level: int, per_applicant: int) -> SideBySideResult:
    """`phase.rounds` runs per side at `level`, alternating which side goes first (bare first in round 1),
    so that a drift of the machine's speed during the measurement weighs on both sides alike. Each run
    counts in its steady state (the turns that ended while all `level` applicants were at work)."""
    full_runs, bare_runs, ratios = [], [], []
    for round_ in range(phase.rounds):
        order = ("bare", "full") if round_ % 2 == 0 else ("full", "bare")
        runs = {side: run_load(bare_channel if side == "bare" else full_channel, phase.scripts, level,
                               per_applicant, phase.opener).steady() for side in order}
        full_runs.append(runs["full"])
        bare_runs.append(runs["bare"])
        full_p95, bare_p95 = summary(runs["full"], phase.keep).p95_ms, summary(runs["bare"], phase.keep).p95_ms
        ratios.append(full_p95 / bare_p95 if bare_p95 else math.nan)
    return SideBySideResult(LoadResult.pooled(full_runs), LoadResult.pooled(bare_runs), ratios)


def summary(result: LoadResult, keep: set[tuple[str, int]] | None = None) -> Summary:
    """Figures of one run. With `keep`, only those turns; their throughput is their count over the share
    of the wall time they took (their summed latency over all turns' summed latency): exact when every
    turn is kept, an estimate otherwise."""
    if keep is None:
        return summarise(result.latencies(), result.seconds, result.errors)
    all_lat = result.latencies()
    kept = result.latencies(lambda r: (r.script, r.index) in keep)
    share = sum(kept) / sum(all_lat) if kept else math.nan
    errors = sum(1 for r in result.timed if not r.ok and (r.script, r.index) in keep)
    return summarise(kept, result.seconds * share, errors)


# ---------------------------------------------------------------- the chat part alone

def main(argv: list[str] | None = None) -> int:
    """`python -m bench.chat_bench`: only the chat comparison of `make bench` (same stacks, same scripts,
    same rounds, same figures), with --repeat to print it several times on a noisy shared machine."""
    import argparse
    import os
    import tempfile
    import traceback
    from pathlib import Path

    from bench import stack_bench
    from bench.__main__ import chat_rows
    from bench.report import table
    from devtools.rasa_stack import train_if_changed

    parser = argparse.ArgumentParser(prog="python -m bench.chat_bench", description=main.__doc__)
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="concurrency levels, e.g. 16")
    parser.add_argument("--repeat", type=int, default=1, help="print the whole table this many times")
    args = parser.parse_args(argv)
    levels = tuple(int(x) for x in args.levels.split(","))

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    model = train_if_changed()
    workdir = Path(tempfile.mkdtemp(prefix="yici-chat-bench-"))
    stacks = stack_bench.SideBySide(workdir, model)
    full_stack, bare = stacks.full_stack, stacks.bare
    try:
        stacks.start_full_stack()
        stacks.start_bare()
        print(f"stack up (logs: {workdir / 'stack.log'})", flush=True)
        full_channel, bare_channel = GatewayChannel(full_stack.base_url), BareRasaChannel(bare.rasa_url)
        _, phases = plan(full_channel, full_stack.rasa_url, bare_channel, bare.rasa_url)
        for repeat in range(1, args.repeat + 1):
            rows = []
            for phase in reversed(phases):   # comparable first, as the targets are judged there
                for level in levels:
                    result = measure(full_channel, bare_channel, phase, level, SCRIPTS_PER_APPLICANT.get(level, 1))
                    rows += chat_rows(level, summary(result.full, phase.keep), summary(result.bare, phase.keep),
                                      phase.label)
                    if phase.rounds > 1:
                        print(f"{phase.label}, {level}: p95 ratio per round "
                              + ", ".join(f"{r:.2f}" for r in result.round_p95_ratios), flush=True)
            print(f"\n## table {repeat} (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})\n")
            print(table(rows), flush=True)
    except Exception:
        traceback.print_exc()
        print(full_stack.log_tail())
        return 1
    finally:
        stacks.stop()
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
