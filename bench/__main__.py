"""`make bench`: every performance figure of Yici in one run, beside its baseline, on this machine.

    .venv/bin/python -m bench [--quick] [--skip-training] [--skip-notify] [--out bench/results/latest.md]

Order: machine description → the trained model (train_if_changed: the same model for everything) →
Rasa training time (a second, timed training into a scratch directory) → knowledge query latency →
cold start of the whole stack (`make run`'s devtools/run.py until /readyz = 200) and of a bare Rasa
server with the same model → chat at 1, 4 and 16 concurrent simulated applicants, bare Rasa and full
stack alternating per level → /sms/inbound acknowledgement under the 16-applicant load → resident
memory of every process → stop both → notify throughput (bench/notify_bench.py).
Everything listens on 127.0.0.1, on free ports, with its own Redis and a scratch database.
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path


from bench import chat_bench, knowledge_bench, machine, sms_bench, stack_bench
from bench.report import Row, Section, fmt, render, table
from bench.stats import ratio
from core.config import ROOT

RESULTS = ROOT / "bench" / "results" / "latest.md"
TARGET_THROUGHPUT_RATIO = 0.9
TARGET_P95_RATIO = 1.2
TARGET_SMS_ACK_P99_MS = 50.0
TARGET_TRAINING_SECONDS = 300.0


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def training_section(skip: bool) -> Section:
    section = Section("Rasa training")
    if skip:
        section.notes.append("skipped (--skip-training)")
        return section
    seconds = stack_bench.measure_training()
    section.rows.append(Row("`rasa train` (full, from scratch)", fmt(seconds, 0, " s"),
                            target=f"≤ {TARGET_TRAINING_SECONDS:.0f} s (issue 6)", met=seconds <= TARGET_TRAINING_SECONDS))
    return section


def knowledge_section() -> Section:
    figures = knowledge_bench.run()
    w, b = figures.warm, figures.baseline
    section = Section("Knowledge: guideline Q&A (`knowledge.retrieval.ask`, one thread)")
    section.rows += [
        Row("first query (index built)", fmt(figures.cold_seconds * 1000, 0, " ms")),
        Row("queries/s", fmt(w.per_second, 0), fmt(b.per_second, 0), fmt(ratio(w.per_second, b.per_second), 1, "×")),
        Row("p50 latency", fmt(w.p50_ms, 2, " ms"), fmt(b.p50_ms, 2, " ms"), fmt(ratio(w.p50_ms, b.p50_ms), 2, "×")),
        Row("p95 latency", fmt(w.p95_ms, 2, " ms"), fmt(b.p95_ms, 2, " ms"), fmt(ratio(w.p95_ms, b.p95_ms), 2, "×")),
        Row("p99 latency", fmt(w.p99_ms, 2, " ms"), fmt(b.p99_ms, 2, " ms"), fmt(ratio(w.p99_ms, b.p99_ms), 2, "×")),
    ]
    section.notes.append(f"{figures.queries} held-out questions (knowledge/eval/heldout.yaml, in and out of scope), "
                         f"{knowledge_bench.ROUNDS} rounds; baseline: difflib similarity against every FAQ wording.")
    return section


def chat_rows(level: int, full, bare, label: str) -> list[Row]:
    throughput_ratio = ratio(full.per_second, bare.per_second)
    p95_ratio = ratio(full.p95_ms, bare.p95_ms)
    judged = level == 16 and label == "comparable"
    rows = [
        Row(f"{label}, {level} applicants: turns/s", fmt(full.per_second, 1), fmt(bare.per_second, 1),
            fmt(throughput_ratio, 2, "×"), f"≥ {TARGET_THROUGHPUT_RATIO}×" if judged else "—",
            (throughput_ratio >= TARGET_THROUGHPUT_RATIO) if judged and not math.isnan(throughput_ratio) else None),
        Row(f"{label}, {level} applicants: p50", fmt(full.p50_ms, 0, " ms"), fmt(bare.p50_ms, 0, " ms"),
            fmt(ratio(full.p50_ms, bare.p50_ms), 2, "×")),
        Row(f"{label}, {level} applicants: p95", fmt(full.p95_ms, 0, " ms"), fmt(bare.p95_ms, 0, " ms"),
            fmt(p95_ratio, 2, "×"), f"≤ {TARGET_P95_RATIO}×" if judged else "—",
            (p95_ratio <= TARGET_P95_RATIO) if judged and not math.isnan(p95_ratio) else None),
        Row(f"{label}, {level} applicants: p99", fmt(full.p99_ms, 0, " ms"), fmt(bare.p99_ms, 0, " ms"),
            fmt(ratio(full.p99_ms, bare.p99_ms), 2, "×")),
    ]
    if full.errors or bare.errors:
        rows.append(Row(f"{label}, {level} applicants: failed turns", str(full.errors), str(bare.errors)))
    return rows


def run_chat(full_stack, bare, scale: float, twilio) -> tuple[Section, Section]:
    full_channel = chat_bench.GatewayChannel(full_stack.base_url)
    bare_channel = chat_bench.BareRasaChannel(bare.rasa_url)

    say("chat: warm-up passes on both sides (classify the turns from the trackers)")
    classification, phases = chat_bench.plan(full_channel, full_stack.rasa_url, bare_channel, bare.rasa_url)
    opener = chat_bench.COMPARABLE_OPENER

    section = Section("Chat: full stack beside bare Rasa (same model, same utterances)")
    all_rows, comp_rows = [], []
    round_notes = []
    for phase in phases:
        for level in chat_bench.LEVELS:
            say(f"chat: {phase.label}, {level} concurrent applicants — {phase.rounds} round(s) per side, alternating")
            per_applicant = max(1, math.ceil(chat_bench.SCRIPTS_PER_APPLICANT[level] * scale))
            result = chat_bench.measure(full_channel, bare_channel, phase, level, per_applicant)
            rows = chat_rows(level, chat_bench.summary(result.full, phase.keep),
                             chat_bench.summary(result.bare, phase.keep), phase.label)
            (comp_rows if phase.label == "comparable" else all_rows).extend(rows)
            if phase.rounds > 1:
                round_notes.append(f"{phase.label}, {level} applicants: "
                                   + ", ".join(fmt(r, 2, "×") for r in result.round_p95_ratios))
            for pooled in (result.bare, result.full):
                failed = [r for r in pooled.records if not r.ok]
                if failed:
                    say(f"   {pooled.channel}: {len(failed)} failed turns, e.g. {failed[0].error}")
    section.rows = comp_rows + all_rows
    section.notes += [
        "Simulated applicants run the scripts in bench/chat_bench.py back to back (closed loop, no think time); "
        "each script is a new conversation; each applicant runs the scripts in turn, so their plans are alike. "
        "The figures at N applicants are the steady state: the turns that ended while all N were at work (until "
        "the first applicant ran out of scripts; after that fewer than N load the server). The full stack is "
        "gunicorn (2 workers × 16 threads, gunicorn.conf.py) → "
        "Rasa → action server → knowledge/integrations, with SQLite as the record; bare Rasa is the same model "
        "on its own Rasa server, REST webhook, no action server, each turn sent on a new connection as the "
        "gateway sends its turns (on kept-alive connections bare Rasa's p95 was 1.5-1.75x its p50: a turn can "
        "wait behind a whole batch, see docs/architecture.md), so the baseline is Rasa at its best.",
        "**comparable** rows (where the targets are judged): the scripts cut down to the turns that ran no custom "
        "action on either side (utter_* responses and Rasa's built-in actions only, read from both trackers in a "
        "warm-up pass); both sides then do the same Rasa work and the ratio is the gateway's overhead. Each of "
        f"these conversations is opened with “{opener}” before the clock starts: Yici's session start is a custom "
        "action (it welcomes a returning applicant) that bare Rasa cannot run, so a conversation's first turn is "
        "never comparable, and timed it would load Rasa during the measured turns on one side only. Bare Rasa gets "
        "the opener twice: its first fails the session start and is rewound out of the tracker by the fallback, the "
        "second is the greeting turn the full stack's tracker holds, so the measured turns start from the same "
        "dialogue history on both sides.",
        f"The comparable rows pool {chat_bench.COMPARABLE_ROUNDS} rounds per side and level, run alternately "
        "(bare then full, full then bare, ...) so that the machine's drift weighs on both sides; the p95 ratio of "
        "each round on its own, to show the spread: " + "; ".join(round_notes) + ".",
        "**all turns** rows: every turn of the realistic scripts. Bare Rasa cannot run custom actions (the call "
        "fails at once and Rasa goes on), so on those turns it does less work: not like for like, shown for scale.",
        "Turns per script and which needed the action server (in brackets):",
        *[f"  {line}" for line in classification.describe()],
    ]
    if len(phases) == 1:
        section.notes.append("No script kept two comparable turns: the targets could not be judged.")

    sms = Section("SMS: `/sms/inbound` acknowledgement under the 16-applicant chat load")
    say(f"sms: signed inbound SMS while 16 applicants chat, {sms_bench.ROUNDS} rounds")
    sms_bench.warm_up(full_stack.base_url, twilio.auth_token, twilio.account_sid)
    probes = []
    for _ in range(sms_bench.ROUNDS):
        with sms_bench.SmsProbe(full_stack.base_url, twilio.auth_token, twilio.account_sid, interval=0.1) as probe:
            chat_bench.run_load(full_channel, chat_bench.SCRIPTS, 16, max(1, math.ceil(3 * scale)))
        probes.append(probe)
    s = sms_bench.pooled_summary(probes)
    sms.rows += [
        Row("acknowledgements (HTTP 200)", f"{s.count} of {s.count + s.errors}", target="all", met=s.errors == 0),
        Row("ack p50", fmt(s.p50_ms, 1, " ms")),
        Row("ack p99", fmt(s.p99_ms, 1, " ms"), target=f"≤ {TARGET_SMS_ACK_P99_MS:.0f} ms",
            met=(s.p99_ms <= TARGET_SMS_ACK_P99_MS) if s.count else False),
        Row("ack max", fmt(s.max_ms, 1, " ms"), target="< 15,000 ms (Twilio's limit)", met=s.max_ms < 15000 if s.count else False),
    ]
    sms.notes.append(f"One request every {probe.interval * 1000:.0f} ms from a new phone number, each signed with "
                     "twilio's RequestValidator; the bot's answers go out through notify/ to the local Twilio test server. "
                     f"{sms_bench.ROUNDS} rounds of the 16-applicant load pooled (a p99 needs a few hundred samples; one "
                     "round gives about a hundred); p99 of each round on its own: "
                     + ", ".join(fmt(p.summary().p99_ms, 1, " ms") for p in probes) + ".")
    failures = sorted({f for p in probes for f in p.failures})
    if failures:
        sms.notes.append(f"failures: {', '.join(failures)}")
    return section, sms


def startup_and_memory(full_stack, bare, memory) -> Section:
    section = Section("Processes: cold start and resident memory")
    section.rows.append(Row("cold start, whole stack (`make run` → /readyz 200)", fmt(full_stack.cold_start_seconds, 1, " s"),
                            fmt(bare.cold_start_seconds, 1, " s") + " (bare Rasa → model loaded)",
                            fmt(ratio(full_stack.cold_start_seconds, bare.cold_start_seconds), 2, "×")))
    total = 0.0
    for name, count, rss in memory:
        if name.startswith("bare"):
            continue
        total += rss
        section.rows.append(Row(f"RSS {name}" + (f" ×{count}" if count > 1 else ""), fmt(rss, 0, " MiB")))
    bare_rss = sum(rss for name, _count, rss in memory if name.startswith("bare"))
    section.rows.append(Row("RSS, whole stack", fmt(total, 0, " MiB"), fmt(bare_rss, 0, " MiB") + " (bare Rasa)",
                            fmt(ratio(total, bare_rss), 2, "×")))
    section.notes.append("Cold start uses a model already trained (the cache), a fresh Redis and an empty database "
                         "(migrations included). Memory is measured after the chat runs (warm).")
    return section


def notify_section(skip: bool, quick: bool) -> Section:
    section = Section("Notify: pre-review events → SMS at the local Twilio test server (bench/notify_bench.py)")
    if skip:
        section.notes.append("skipped (--skip-notify)")
        return section
    with tempfile.TemporaryDirectory(prefix="yici-bench-notify-") as tmp:
        out = Path(tmp) / "notify.json"
        command = [sys.executable, "-m", "bench.notify_bench", "--json", str(out)]
        if quick:
            command += ["--n", "1000", "--n-live", "100"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=1800)
        if done.returncode != 0 or not out.exists():
            section.notes.append(f"bench.notify_bench failed (exit {done.returncode}): "
                                 f"{(done.stderr or done.stdout).strip()[-1500:]}")
            return section
        import json

        results = json.loads(out.read_text())
    pipeline = next(r for r in results if not r["run"].startswith("baseline"))
    baseline = next(r for r in results if r["run"].startswith("baseline"))
    rate, base_rate = pipeline["backlog_messages_per_s"] or math.nan, baseline["backlog_messages_per_s"] or math.nan
    section.rows += [
        Row("messages/s (backlog drained)", fmt(rate, 0), fmt(base_rate, 0), fmt(ratio(rate, base_rate), 1, "×"),
            "≥ 1,000", rate >= 1000),
        Row("event → provider p50 (live)", fmt(pipeline["live_p50_ms"], 0, " ms"), fmt(baseline["live_p50_ms"], 0, " ms"),
            fmt(ratio(pipeline["live_p50_ms"], baseline["live_p50_ms"]), 2, "×")),
        Row("event → provider p99 (live)", fmt(pipeline["live_p99_ms"], 0, " ms"), fmt(baseline["live_p99_ms"], 0, " ms"),
            fmt(ratio(pipeline["live_p99_ms"], baseline["live_p99_ms"]), 2, "×")),
        Row("duplicates", str(pipeline["duplicates"]), str(baseline["duplicates"]), target="0",
            met=pipeline["duplicates"] == 0),
        Row("losses", str(pipeline["losses"]), str(baseline["losses"]), target="0", met=pipeline["losses"] == 0),
        Row("producer events/s (one transaction each)", fmt(pipeline["producer_events_per_s"], 0),
            fmt(baseline["producer_events_per_s"], 0)),
    ]
    section.notes.append(f"{pipeline['messages']} messages per run; baseline: {baseline['run']}. "
                         "Details: `python -m bench.notify_bench --help`.")
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer scripts per applicant (half)")
    parser.add_argument("--skip-training", action="store_true", help="do not time a second training")
    parser.add_argument("--skip-notify", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    scale = 0.5 if args.quick else 1.0

    from devtools.rasa_stack import train_if_changed

    say("machine")
    described = machine.describe()
    described["load average at start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    sections: list[Section] = []
    say("model: train_if_changed() — every Rasa server below loads this one model")
    model = train_if_changed()
    described["model"] = model.name
    say("Rasa training time (a full training into a scratch directory)")
    sections.append(training_section(args.skip_training))
    say("knowledge query latency")
    sections.append(knowledge_section())

    workdir = Path(tempfile.mkdtemp(prefix="yici-bench-"))
    stacks = stack_bench.SideBySide(workdir, model)
    full_stack, bare, twilio = stacks.full_stack, stacks.bare, stacks.twilio
    failed = False
    try:
        say(f"cold start of the whole stack (logs: {workdir / 'stack.log'})")
        stacks.start_full_stack()
        say(f"   ready in {full_stack.cold_start_seconds:.1f} s; bare Rasa server (same model, no action server)")
        stacks.start_bare()
        chat, sms = run_chat(full_stack, bare, scale, twilio)
        sections += [chat, sms]
        memory = stack_bench.resident_memory(full_stack.processes() + bare.processes())
        sections.append(startup_and_memory(full_stack, bare, memory))
    except Exception:
        failed = True
        traceback.print_exc()
        print(full_stack.log_tail(), file=sys.stderr)
    finally:
        say("stopping the stacks")
        stacks.stop()
    say("notify throughput")
    sections.append(notify_section(args.skip_notify, args.quick))

    preamble = ["Every figure beside its baseline: bare Rasa for chat, cold start and memory; a naive implementation "
                "for knowledge retrieval; plain RQ for notify. Loopback only, one machine, other work may have been "
                "running (load average below)."]
    if failed:
        preamble.append("**The run failed part-way; sections missing below did not run (see the console output).**")
    report = render(described, sections, preamble)
    for section in sections:
        print(f"\n## {section.title}\n")
        if section.rows:
            print(table(section.rows))
        for note in section.notes:
            print(f"- {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    say(f"written {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
