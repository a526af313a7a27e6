"""Calibrating the retrieval weights, refusal threshold and margin rule on the DEVELOPMENT set only.

Calibration data: the in-scope questions of dev.yaml (written apart from the indexed paraphrases and from
heldout.yaml) and the out-of-scope questions of dev.yaml plus train_out_of_scope.yaml. The held-out set is
never read here.

Searched: the query-word weighting (domain-dictionary boost, weight of unknown function words), the four
signal weights (a 0.1 grid), and the decision rule “answer when score ≥ confident, or score ≥ threshold and
the lead over the runner-up ≥ margin”. For each combination the threshold is the lowest one that still
refuses ≥ 95 % of the out-of-scope questions (a margin over the 90 % target); the combination answering
the most in-scope questions correctly wins (ties: more in the top 3, then fewer wrong answers).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from knowledge.eval.evaluate import DEV, load_heldout
from knowledge.retrieval import SIGNALS, FaqRetriever

TRAIN_OUT_OF_SCOPE = Path(__file__).resolve().parent / "train_out_of_scope.yaml"
WEIGHT_STEP = 0.1
REQUIRED_REFUSAL = 0.95           # a margin over the 90 % target
DOMAIN_BOOSTS = (1.0, 1.5, 2.0, 3.0)
FILLERS = (0.0, 0.5)
MARGINS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1)
CONFIDENT_OFFSETS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)   # confident = threshold + offset (0: no margin rule)


@dataclass(frozen=True)
class Calibration:
    weights: dict[str, float]
    threshold: float
    confident: float
    margin: float
    domain_boost: float
    filler: float
    top1: float          # dev in-scope questions answered with their own entry
    top3: float          # dev in-scope questions answered, own entry among the best three
    false_answers: int
    refusal: float       # dev + training out-of-scope questions refused

    def render(self) -> str:
        return (f"WEIGHTS = {self.weights}\nTHRESHOLD = {self.threshold}\nCONFIDENT = {self.confident}\n"
                f"MARGIN = {self.margin}\nDOMAIN_BOOST = {self.domain_boost}\nFILLER = {self.filler}\n"
                f"development set: top-1 {self.top1:.1%}, top-3 {self.top3:.1%}, wrong answers {self.false_answers}, "
                f"out-of-scope refusal {self.refusal:.1%}")


def _features(retriever: FaqRetriever, questions: list[str]) -> np.ndarray:
    """(questions × signals × entries)"""
    return np.stack([retriever.features(q) for q in questions])


def _weight_grid():
    steps = int(round(1 / WEIGHT_STEP))
    for head in itertools.product(range(steps + 1), repeat=len(SIGNALS) - 1):
        if sum(head) <= steps:
            yield np.array([*head, steps - sum(head)]) / steps


def _top_two(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: best entry, its score, and its lead over the runner-up."""
    order = np.argsort(-scores, axis=1, kind="stable")
    rows = np.arange(len(scores))
    top = scores[rows, order[:, 0]]
    return order, top, top - scores[rows, order[:, 1]]


def calibrate(retriever: FaqRetriever, dev_path: Path = DEV, extra_out_of_scope: list[str] | None = None
              ) -> Calibration:
    dev = load_heldout(dev_path)
    if extra_out_of_scope is None:
        extra_out_of_scope = yaml.safe_load(TRAIN_OUT_OF_SCOPE.read_text(encoding="utf-8"))
    questions = [q for q, _ in dev.in_scope]
    index = {entry.id: i for i, entry in enumerate(retriever.entries)}
    expected = np.array([index[faq_id] for _, faq_id in dev.in_scope])
    out_questions = list(dev.out_of_scope) + list(extra_out_of_scope)
    allowed = int(len(out_questions) * (1 - REQUIRED_REFUSAL))    # out-of-scope questions that may be answered
    best: tuple | None = None
    for boost, filler in itertools.product(DOMAIN_BOOSTS, FILLERS):
        variant = retriever.with_weighting(boost, filler)
        inside, outside = _features(variant, questions), _features(variant, out_questions)
        for w in _weight_grid():
            order, top, lead = _top_two(np.einsum("s,qse->qe", w, inside))
            correct = order[:, 0] == expected
            in_top3 = (order[:, :3] == expected[:, None]).any(axis=1)
            _, out_top, out_lead = _top_two(np.einsum("s,qse->qe", w, outside))
            candidates = np.unique(np.round(np.concatenate([out_top, top]) + 1e-4, 4))
            for margin, offset in itertools.product(MARGINS, CONFIDENT_OFFSETS):
                if (margin == 0) != (offset == 0):
                    continue     # no margin rule, or a margin rule with a confident band above the threshold
                # out-of-scope questions accepted for every candidate threshold (rows)
                t = candidates[:, None]
                out_ok = (out_top >= t + offset) | ((out_top >= t) & (out_lead >= margin))
                feasible = np.nonzero(out_ok.sum(axis=1) <= allowed)[0]
                if not len(feasible):
                    continue
                threshold = candidates[feasible[0]]
                accepted = (top >= threshold + offset) | ((top >= threshold) & (lead >= margin))
                key = (int((accepted & correct).sum()), int((accepted & in_top3).sum()),
                       -int((accepted & ~correct).sum()))
                if best is None or key > best[0]:
                    refusal = 1 - out_ok[feasible[0]].sum() / len(out_questions)
                    best = (key, w, float(threshold), float(threshold + offset), margin, boost, filler, refusal)
    (hits, top3, wrong), w, threshold, confident, margin, boost, filler, refusal = best
    weights = dict(zip(SIGNALS, (round(float(x), 2) for x in w)))
    n = len(questions)
    return Calibration(weights, round(threshold, 4), round(confident, 4), margin, boost, filler,
                       hits / n, top3 / n, -wrong, float(refusal))
