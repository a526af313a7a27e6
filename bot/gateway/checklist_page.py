"""The one-time notification (一次性告知) page: the full checklist for a scenario, with a QR code."""
from __future__ import annotations

import segno


class ChecklistNotFound(LookupError):
    """No scenario by that id or name; str(error) is a Chinese message."""


class ChecklistBadAnswer(ValueError):
    """An answer in the URL is not one of the question's options; str(error) is a Chinese message."""


def qr_data_uri(url: str) -> str:
    """An SVG QR code of `url` as a data: URI (an <img src>, so nothing is injected into the page)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def build(scenario_id: str, answers: dict[str, str], url: str) -> dict:
    """Template context for the checklist page (the URL holds the answers: the page is stateless)."""
    from knowledge.checklist import InvalidAnswer, build_checklist
    from knowledge.loader import UnknownScenario

    try:
        checklist = build_checklist(scenario_id, answers).to_dict()
    except UnknownScenario as error:
        raise ChecklistNotFound(str(error)) from None
    except InvalidAnswer as error:
        raise ChecklistBadAnswer(str(error)) from None
    names = {item["id"]: item["name"] for item in checklist["items"]}
    for material in checklist["materials"]:
        used_by = material.get("used_by") or []
        material["used_by_names"] = [names.get(i, i) for i in ([used_by] if isinstance(used_by, str) else used_by)]
    scenario = checklist["scenario"]
    return {"checklist": checklist, "scenario_name": scenario.get("name") if isinstance(scenario, dict) else scenario,
            "answers": answers, "qr": qr_data_uri(url), "url": url}
