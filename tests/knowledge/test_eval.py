"""The evaluation sets, the evaluator and the calibration of `python -m knowledge.eval`."""
from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from core.config import ROOT
from knowledge.eval import calibrate as calibration
from knowledge.eval.evaluate import DEV, HELDOUT, HeldoutSet, evaluate, load_heldout
from knowledge.faq import PACKAGE_DATA_DIR, load_faq
from knowledge.retrieval import FaqRetriever, build_retriever, normalise


def _normalised(questions) -> set[str]:
    return {normalise(q) for q in questions}


def _questions(question_set: HeldoutSet) -> list[str]:
    return [q for q, _ in question_set.in_scope] + list(question_set.out_of_scope)


def test_heldout_set_is_large_enough_and_apart_from_the_index():
    heldout = load_heldout()
    assert len(heldout.in_scope) + len(heldout.out_of_scope) >= 150
    assert len(heldout.out_of_scope) >= 30
    indexed = _normalised(text for entry in load_faq(PACKAGE_DATA_DIR) for text in entry.texts)
    assert not [q for q, _ in heldout.in_scope if normalise(q) in indexed]


def test_dev_set_covers_every_entry_and_is_apart_from_the_index_and_the_heldout_set():
    dev, heldout = load_heldout(DEV), load_heldout(HELDOUT)
    entries = load_faq(PACKAGE_DATA_DIR)
    assert len(dev.in_scope) >= 200 and len(dev.out_of_scope) >= 40
    assert {faq_id for _, faq_id in dev.in_scope} == {entry.id for entry in entries}
    indexed = _normalised(text for entry in entries for text in entry.texts)
    assert not [q for q, _ in dev.in_scope if normalise(q) in indexed]
    assert not _normalised(_questions(dev)) & _normalised(_questions(heldout))
    train_out = yaml.safe_load((ROOT / "knowledge" / "eval" / "train_out_of_scope.yaml").read_text(encoding="utf-8"))
    assert not _normalised(dev.out_of_scope) & _normalised(train_out)
    assert not _normalised(heldout.out_of_scope) & _normalised(train_out)
    questions = [normalise(q) for q in _questions(dev)]
    assert len(questions) == len(set(questions)), "dev.yaml asks a question twice"


def test_report_counts_hits_false_answers_and_refusals():
    retriever = FaqRetriever(load_faq(PACKAGE_DATA_DIR))
    report = evaluate(retriever, HeldoutSet(in_scope=[("预审要几天", "prereview-days"),
                                                      ("预审要几天", "x-time-limit")],
                                            out_of_scope=["今天天气怎么样"]))
    assert (report.top1_hits, report.refused_out) == (1, 1)
    assert report.false_answers == [("预审要几天", "x-time-limit", "prereview-days")]
    assert "top1" in report.render() and "target ≥ 90%" in report.render()
    assert report.render("development").startswith("FAQ retrieval on the development set")


def test_unknown_expected_id_is_an_error():
    retriever = FaqRetriever(load_faq(PACKAGE_DATA_DIR))
    with pytest.raises(ValueError, match="'no-such-entry' does not exist"):
        evaluate(retriever, HeldoutSet(in_scope=[("预审要几天", "no-such-entry")], out_of_scope=[]))


def test_calibration_fits_on_the_dev_file_it_is_given_and_keeps_the_refusal_margin(tmp_path, monkeypatch):
    # A coarse grid keeps this fast; the real calibration (python -m knowledge.eval --calibrate) uses 0.1 steps.
    monkeypatch.setattr(calibration, "WEIGHT_STEP", 0.5)
    monkeypatch.setattr(calibration, "DOMAIN_BOOSTS", (2.0,))
    monkeypatch.setattr(calibration, "FILLERS", (0.0,))
    dev = tmp_path / "dev.yaml"
    dev.write_text(yaml.safe_dump({
        "in_scope": {"prereview-days": ["预审到底几天"], "x-voluntary": ["许可证能不能不跟执照一起办"],
                     "tobacco-licence": ["开小卖部卖烟得办啥证"]},
        "out_of_scope": ["明天下雨吗", "基金怎么买", "驾照怎么换"],
    }, allow_unicode=True), encoding="utf-8")
    retriever = build_retriever(PACKAGE_DATA_DIR)
    result = calibration.calibrate(retriever, dev_path=dev, extra_out_of_scope=["火锅哪家好吃", "孩子发烧怎么办"])
    assert result.refusal >= calibration.REQUIRED_REFUSAL
    assert abs(sum(result.weights.values()) - 1.0) < 1e-9 and result.confident >= result.threshold
    assert "THRESHOLD = " in result.render() and "development set:" in result.render()


def test_dev_figures_are_printed():
    result = subprocess.run([sys.executable, "-m", "knowledge.eval", "--dev"], cwd=ROOT, capture_output=True,
                            text=True)
    assert "development set" in result.stdout and "top3" in result.stdout, result.stderr


def test_kb_eval_meets_its_targets():
    result = subprocess.run([sys.executable, "-m", "knowledge.eval"], cwd=ROOT, capture_output=True, text=True)
    assert "top1" in result.stdout and "refusal" in result.stdout
    assert result.returncode == 0, result.stdout
