"""A short topic label for an escalated question, so reports can show what gets escalated most.

jieba's TF-IDF keyword extraction (nouns and verb-nouns), with the knowledge base's custom dictionary
loaded when the knowledge package provides one. Deterministic for a given question.
"""
from __future__ import annotations

import jieba.analyse

TOPIC_WORDS = 2
_ALLOWED_POS = ("n", "nr", "ns", "nt", "nz", "nw", "vn", "eng")
# words that say nothing about the subject of a registration question
_NOISE = {"请问", "问题", "需要", "办理", "怎么", "什么", "可以", "时候", "多久", "一下", "情况"}


def keywords(question: str, limit: int = TOPIC_WORDS) -> list[str]:
    words = jieba.analyse.extract_tags(question or "", topK=limit + len(_NOISE), allowPOS=_ALLOWED_POS)
    return [w for w in words if w not in _NOISE and len(w) > 1][:limit]


def topic_of(question: str) -> str | None:
    """'食品经营许可 健康证' style label (space-separated keywords), None when nothing is left."""
    words = keywords(question)
    return " ".join(words)[:64] or None
