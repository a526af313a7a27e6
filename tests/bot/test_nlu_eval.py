"""`make nlu-eval`: the cross-validated intent accuracy meets issue 6's target, and its result cache."""
from __future__ import annotations

import pytest

from devtools import nlu_eval
from devtools.rasa_stack import model_hash


@pytest.fixture()
def eval_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("YICI_NLU_EVAL_CACHE", str(tmp_path / "nlu-eval"))
    return tmp_path / "nlu-eval"


def sample_result(hash_: str, folds: int = 3, accuracy: float = 0.96) -> dict:
    return {"hash": hash_, "folds": folds, "accuracy": accuracy, "macro_f1": 0.95, "examples": 2000,
            "per_intent": {}, "confused": [["cancel", "deny", 3]],
            "errors": [{"text": "不辦了", "intent": "cancel", "predicted": "deny", "confidence": 0.9}],
            "seconds": 300, "evaluated_at": "2026-11-22T03:00:00+00:00", "out": "/tmp/x"}


def test_a_stored_result_is_found_by_hash_and_folds_only(eval_cache):
    nlu_eval.store_result(sample_result("abc123"))
    assert nlu_eval.load_cached("abc123", 3)["accuracy"] == 0.96
    assert nlu_eval.load_cached("abc123", 5) is None
    assert nlu_eval.load_cached("other", 3) is None
    assert (eval_cache / "abc123-3folds.json").exists()


def test_evaluate_reads_the_cache_for_the_current_training_data(eval_cache):
    nlu_eval.store_result(sample_result(model_hash(), accuracy=0.97))
    result = nlu_eval.evaluate(folds=3)  # no cross-validation runs: the hash matches
    assert result["cached"] is True and result["accuracy"] == 0.97


def test_the_cached_figures_are_printed_with_a_note(eval_cache):
    text = nlu_eval.format_result({**sample_result("abc123"), "cached": True})
    assert "cached result for training-data hash abc123" in text and "--fresh" in text
    assert "intent accuracy: 96.0%" in text and "cancel -> deny: 3" in text and "不辦了" in text


def test_a_corrupt_cache_file_is_ignored(eval_cache):
    eval_cache.mkdir(parents=True)
    (eval_cache / "abc123-3folds.json").write_text("{not json")
    assert nlu_eval.load_cached("abc123", 3) is None


@pytest.mark.rasa
@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_cross_validated_intent_accuracy_meets_the_target():
    """Runs `rasa test nlu --cross-validation` unless this training data was evaluated before."""
    result = nlu_eval.evaluate(folds=nlu_eval.DEFAULT_FOLDS)
    assert result["accuracy"] >= nlu_eval.TARGET_ACCURACY, nlu_eval.format_result(result, show_errors=30)
