"""The knowledge base: 1+N+X items, scenario checklists (一次性告知) and guideline Q&A with sources.

Public interface (docs/contracts.md): get_kb(), DEPARTMENTS, match_scenario(text), and
knowledge.checklist.build_checklist(scenario, answers).
"""
from __future__ import annotations

from knowledge.loader import (
    KnowledgeBase, KnowledgeDataError, KnowledgeError, UnknownItem, UnknownScenario, get_kb, load_knowledge_base,
    reset_kb,
)
from knowledge.schema import DEPARTMENTS, KINDS, REFORM_MODES, UNCERTAIN_NOTICE



def match_scenario(text: str):
    """The scenario named in free text ("我想开一家饭店" → 饭店/餐饮), or None; see KnowledgeBase.match_scenario."""
    return get_kb().match_scenario(text)


__all__ = [
    "DEPARTMENTS", "KINDS", "REFORM_MODES", "UNCERTAIN_NOTICE", "KnowledgeBase", "KnowledgeDataError",
    "KnowledgeError", "UnknownItem", "UnknownScenario", "get_kb", "load_knowledge_base", "match_scenario",
    "reset_kb",
]
