"""``python -m knowledge.eval`` — held-out figures against the targets; non-zero exit when one is missed.

``python -m knowledge.eval --dev`` prints the same figures on the development set (knowledge/eval/dev.yaml),
the set used for error analysis and calibration.
``python -m knowledge.eval --calibrate`` prints weights, threshold and margin fitted on the development set
plus the training out-of-scope file (copy them into knowledge/retrieval.py: WEIGHTS, THRESHOLD, MARGIN).
The held-out set is read only by the plain ``python -m knowledge.eval``.
"""
from __future__ import annotations

import argparse
import sys

from knowledge.eval.evaluate import DEV, evaluate, load_heldout
from knowledge.retrieval import build_retriever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.eval", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--dev", action="store_true", help="evaluate on the development set instead of the held-out set")
    group.add_argument("--calibrate", action="store_true", help="fit weights, threshold and margin on the development set")
    args = parser.parse_args(argv)
    retriever = build_retriever()
    if args.calibrate:
        from knowledge.eval.calibrate import calibrate

        print(calibrate(retriever).render())
        return 0
    if args.dev:
        report = evaluate(retriever, load_heldout(DEV))
        print(report.render("development"))
        return 0 if report.passed else 1
    report = evaluate(retriever, load_heldout())
    print(report.render())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
