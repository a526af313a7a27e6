"""The results table: every figure beside its baseline and target, as Markdown (printed and written)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone


def fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}{unit}"


@dataclass
class Row:
    measure: str
    yici: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    met: bool | None = None     # None: no target

    def cells(self) -> list[str]:
        verdict = "—" if self.met is None else ("yes" if self.met else "**no**")
        return [self.measure, self.yici, self.baseline, self.ratio, self.target, verdict]


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


HEADER = ["measure", "Yici", "baseline", "ratio", "target", "met"]


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def render(machine: dict[str, str], sections: list[Section], preamble: list[str]) -> str:
    out = ["# Yici benchmark results", "",
           f"Written by `make bench` (`.venv/bin/python -m bench`) on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
           "", *preamble, "", "## Machine", ""]
    out += [f"- **{key}**: {value}" for key, value in machine.items()]
    for section in sections:
        out += ["", f"## {section.title}", ""]
        if section.rows:
            out.append(table(section.rows))
        if section.notes:
            out += [""] + [f"- {note}" for note in section.notes]
    return "\n".join(out) + "\n"
