"""NLU and dialogue evaluation (`make nlu-eval`).

    python -m devtools.nlu_eval [--folds 5] [--fresh] [--errors 20] [--stories]

Runs `rasa test nlu --cross-validation` on bot/nlu and prints intent accuracy, macro F1, the most
confused intent pairs and the misclassified examples (target: accuracy >= 95 %). The result is cached
by the model hash of devtools/rasa_stack.py (config, domain, training data, jieba dictionary, Rasa
version) under ~/.cache/yici/nlu-eval/ (or $YICI_NLU_EVAL_CACHE), so CI and repeated runs on unchanged
data print the cached figures at once; --fresh forces a new cross-validation. With --stories it also
runs the end-to-end test stories (tests/bot/test_stories.yml) against the trained model.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from devtools.rasa_stack import BOT_DIR, CONFIG_FILE, DOMAIN_PATH, ROOT, machine_lock, model_hash, redis_env, \
    run_rasa, train_if_changed

TARGET_ACCURACY = 0.95
DEFAULT_FOLDS = 5   # `rasa test nlu --cross-validation`'s own default
TEST_STORIES = ROOT / "tests" / "bot" / "test_stories.yml"
ALL_PASSED_MARK = "None of the test stories failed"
KEPT_ERRORS = 200  # misclassified examples kept in the cached result


def cache_dir() -> Path:
    return Path(os.environ.get("YICI_NLU_EVAL_CACHE") or Path.home() / ".cache" / "yici" / "nlu-eval")


def cache_file(hash_: str, folds: int) -> Path:
    return cache_dir() / f"{hash_}-{folds}folds.json"


def load_cached(hash_: str, folds: int) -> dict | None:
    """The stored result for these training inputs and folds, or None."""
    path = cache_file(hash_, folds)
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return result if result.get("hash") == hash_ and result.get("folds") == folds else None


def store_result(result: dict) -> Path:
    """Write the result atomically (parallel readers never see half a file)."""
    path = cache_file(result["hash"], result["folds"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
        json.dump(result, handle, ensure_ascii=False, indent=1)
    os.replace(handle.name, path)
    return path


def cross_validate(folds: int = DEFAULT_FOLDS, out: Path | None = None) -> dict:
    """Intent accuracy, macro F1, confused pairs and errors from a fresh k-fold cross-validation."""
    out = Path(out or tempfile.mkdtemp(prefix="yici-nlu-eval-"))
    run_rasa("test", "nlu", "--cross-validation", "--folds", str(folds), "--config", CONFIG_FILE,
             "--domain", DOMAIN_PATH, "--nlu", "nlu", "--out", str(out), "--no-plot", capture=True)
    return read_intent_results(out)


def read_intent_results(out: Path) -> dict:
    report = json.loads((Path(out) / "intent_report.json").read_text())
    errors_file = Path(out) / "intent_errors.json"
    raw_errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    errors = [{"text": e["text"], "intent": e["intent"],
               "predicted": (e.get("intent_prediction") or {}).get("name"),
               "confidence": round(float((e.get("intent_prediction") or {}).get("confidence") or 0.0), 3)}
              for e in raw_errors]
    errors.sort(key=lambda e: -e["confidence"])
    pairs = Counter((e["intent"], e["predicted"]) for e in errors)
    per_intent = {name: {"precision": round(v["precision"], 3), "recall": round(v["recall"], 3),
                         "f1": round(v["f1-score"], 3), "support": v["support"]}
                  for name, v in report.items() if isinstance(v, dict) and "support" in v and name not in
                  ("macro avg", "weighted avg", "micro avg")}
    return {"accuracy": report["accuracy"], "macro_f1": report["macro avg"]["f1-score"],
            "examples": report["macro avg"]["support"], "per_intent": per_intent,
            "confused": [[true, predicted, count] for (true, predicted), count in pairs.most_common(10)],
            "errors": errors, "out": str(out)}


def evaluate(folds: int = DEFAULT_FOLDS, fresh: bool = False) -> dict:
    """The cross-validation result for the current training inputs, from the cache unless `fresh`.

    The result carries "cached": True when it was read from the cache, and "seconds" (how long the
    cross-validation took when it ran)."""
    hash_ = model_hash()
    if not fresh and (cached := load_cached(hash_, folds)) is not None:
        return {**cached, "cached": True}
    with machine_lock(cache_dir() / ".eval.lock"):
        if not fresh and (cached := load_cached(hash_, folds)) is not None:
            return {**cached, "cached": True}
        started = time.monotonic()
        result = cross_validate(folds)
        if model_hash() != hash_:
            raise RuntimeError("the training data changed during the cross-validation; run it again")
        result.update(hash=hash_, folds=folds, seconds=round(time.monotonic() - started),
                      evaluated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        result["errors"] = result["errors"][:KEPT_ERRORS]
        store_result(result)
        return {**result, "cached": False}


def format_result(result: dict, show_errors: int = 10) -> str:
    lines = []
    if result.get("cached"):
        lines.append(f"(cached result for training-data hash {result['hash']}, evaluated {result['evaluated_at']}; "
                     f"--fresh re-runs the cross-validation)")
    else:
        lines.append(f"cross-validation took {result['seconds']} s; full reports: {result['out']}")
    lines.append(f"intent accuracy: {result['accuracy']:.1%}  (target {TARGET_ACCURACY:.0%}, "
                 f"{result['folds']} folds, {result['examples']} examples)")
    lines.append(f"intent macro F1: {result['macro_f1']:.3f}")
    lines.append("most confused pairs (true -> predicted: count):")
    for true, predicted, count in result["confused"] or [["-", "-", 0]]:
        lines.append(f"  {true} -> {predicted}: {count}")
    if show_errors and result["errors"]:
        lines.append(f"misclassified examples (most confident first, {show_errors} of {len(result['errors'])}):")
        for error in result["errors"][:show_errors]:
            lines.append(f"  {error['intent']} -> {error['predicted']} ({error['confidence']:.2f}): {error['text']}")
    return "\n".join(lines)


def evaluate_stories(model: Path | None = None, out: Path | None = None, stories: Path = TEST_STORIES,
                     stack=None) -> dict:
    """Run the test stories; {"passed": bool, "failed": text of failed_test_stories.yml, "out": dir}.

    With a running RasaStack, Rasa is given the stack's endpoints (action server, Redis tracker store).
    """
    model = model or train_if_changed()
    out = Path(out or tempfile.mkdtemp(prefix="yici-stories-"))
    endpoints, env = [], {}
    if stack is not None:
        endpoints = ["--endpoints", "endpoints.yml"]
        env = {"ACTION_SERVER_URL": stack.action_server_url, **redis_env(stack.redis_url)}
    result = run_rasa("test", "core", "--stories", str(stories), "--model", str(model), *endpoints,
                      "--out", str(out), "--no-plot", check=False, capture=True, env=env)
    failed_file = out / "failed_test_stories.yml"
    failed = failed_file.read_text() if failed_file.exists() else result.stdout + result.stderr
    return {"passed": result.returncode == 0 and ALL_PASSED_MARK in failed, "failed": failed, "out": str(out),
            "returncode": result.returncode}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.nlu_eval")
    parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS)
    parser.add_argument("--fresh", action="store_true", help="ignore the cached result and cross-validate again")
    parser.add_argument("--errors", type=int, default=10, help="how many misclassified examples to print")
    parser.add_argument("--stories", action="store_true", help="also run tests/bot/test_stories.yml")
    args = parser.parse_args(argv)

    print(f"cross-validating the NLU ({args.folds} folds) on {BOT_DIR / 'nlu'} ...", flush=True)
    result = evaluate(args.folds, fresh=args.fresh)
    print(format_result(result, args.errors))
    ok = result["accuracy"] >= TARGET_ACCURACY
    if args.stories:
        stories = evaluate_stories()
        print("test stories:", "all passed" if stories["passed"] else f"FAILED, see {stories['out']}")
        ok = ok and stories["passed"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
