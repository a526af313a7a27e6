"""Top-1 / top-3 accuracy and refusal rate of FAQ retrieval on the held-out set (knowledge/eval/heldout.yaml).

Definitions (strict: an in-scope question refused by the threshold counts as a miss):
- top-1: ``ask`` answers with the expected entry;
- top-3: the question is not refused and the expected entry is among the 3 best candidates;
- refusal: share of out-of-scope questions for which ``ask`` returns None;
- false answers: in-scope questions answered with a wrong entry (worse than a refusal: the applicant is misled).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.retrieval import FaqRetriever

HELDOUT = Path(__file__).resolve().parent / "heldout.yaml"
DEV = Path(__file__).resolve().parent / "dev.yaml"          # development set: calibration and error analysis
TARGETS = {"top1": 0.90, "top3": 0.97, "refusal": 0.90}


@dataclass(frozen=True)
class HeldoutSet:
    in_scope: list[tuple[str, str]]      # (question, expected faq id)
    out_of_scope: list[str]


def load_heldout(path: Path = HELDOUT) -> HeldoutSet:
    """A question set in the heldout.yaml format (also used for dev.yaml)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    in_scope = [(question, faq_id) for faq_id, questions in raw["in_scope"].items() for question in questions]
    return HeldoutSet(in_scope=in_scope, out_of_scope=list(raw["out_of_scope"]))


@dataclass
class Report:
    in_scope: int = 0
    out_of_scope: int = 0
    top1_hits: int = 0
    top3_hits: int = 0
    refused_out: int = 0
    false_answers: list[tuple[str, str, str]] = field(default_factory=list)   # question, expected, answered
    false_refusals: list[tuple[str, str]] = field(default_factory=list)      # question, expected
    wrongly_answered_out: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def figures(self) -> dict[str, float]:
        return {
            "top1": self.top1_hits / self.in_scope if self.in_scope else 0.0,
            "top3": self.top3_hits / self.in_scope if self.in_scope else 0.0,
            "refusal": self.refused_out / self.out_of_scope if self.out_of_scope else 0.0,
        }

    @property
    def passed(self) -> bool:
        return all(self.figures[name] >= target for name, target in TARGETS.items())

    def render(self, name: str = "held-out") -> str:
        lines = [f"FAQ retrieval on the {name} set: {self.in_scope} in-scope, {self.out_of_scope} out-of-scope questions"]
        for name, target in TARGETS.items():
            value = self.figures[name]
            mark = "ok" if value >= target else "MISSED"
            lines.append(f"  {name:<8} {value:6.1%}   target ≥ {target:.0%}   {mark}")
        lines.append(f"  false answers to in-scope questions: {len(self.false_answers)}"
                     f" ({len(self.false_answers) / max(self.in_scope, 1):.1%}); "
                     f"in-scope refused: {len(self.false_refusals)}")
        for question, expected, answered in self.false_answers:
            lines.append(f"    wrong   {question!r}: expected {expected}, answered {answered}")
        for question, expected in self.false_refusals:
            lines.append(f"    refused {question!r}: expected {expected}")
        for question, answered, score in self.wrongly_answered_out:
            lines.append(f"    out-of-scope answered {question!r}: {answered} (score {score:.3f})")
        return "\n".join(lines)


def evaluate(retriever: FaqRetriever, heldout: HeldoutSet) -> Report:
    report = Report(in_scope=len(heldout.in_scope), out_of_scope=len(heldout.out_of_scope))
    known = {entry.id for entry in retriever.entries}
    for question, expected in heldout.in_scope:
        if expected not in known:
            raise ValueError(f"heldout.yaml: FAQ id {expected!r} does not exist")
        candidates, answered = retriever.decide(question, k=3)
        ids = [c.entry.id for c in candidates]
        if not answered:
            report.false_refusals.append((question, expected))
            continue
        if ids[0] == expected:
            report.top1_hits += 1
        else:
            report.false_answers.append((question, expected, ids[0]))
        if expected in ids:
            report.top3_hits += 1
    for question in heldout.out_of_scope:
        answer = retriever.ask(question)
        if answer is None:
            report.refused_out += 1
        else:
            report.wrongly_answered_out.append((question, answer.faq_id, answer.score))
    return report
