"""Guideline FAQ entries: the pydantic model and the YAML loader.

FAQ files live in ``<data_dir>/faq/*.yaml``; each file is a YAML list of entries. People who are not
programmers maintain these files, so every validation error names the file, the entry and the field.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PACKAGE_DATA_DIR = Path(__file__).resolve().parent / "data"
UNCERTAIN_NOTICE = "以窗口最新办事指南为准"
CONFIDENCE_LEVELS = ("V", "S", "U")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# YAML folded scalars (>-) join wrapped lines with a space; between Chinese characters that space is noise.
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’"
_SPACE_NEXT_TO_CJK = re.compile(f"(?<=[{_CJK}])\\s+|\\s+(?=[{_CJK}])")


def join_wrapped(text: str) -> str:
    """Remove whitespace next to Chinese characters and punctuation (left over from wrapped YAML lines)."""
    return _SPACE_NEXT_TO_CJK.sub("", text.strip())


class FaqError(ValueError):
    """A FAQ file or entry is invalid; the message says where and why."""


def data_dir() -> Path:
    """The knowledge data directory: env ``KNOWLEDGE_DATA_DIR`` or the package's ``knowledge/data``."""
    from core.config import get_settings

    configured = get_settings().knowledge_data_dir
    return Path(configured) if configured else PACKAGE_DATA_DIR


def faq_dir(root: Path | str | None = None) -> Path:
    """``<root>/faq``; ``root`` may also be the faq directory itself."""
    root = Path(root) if root is not None else data_dir()
    return root if root.name == "faq" else root / "faq"


class FaqEntry(BaseModel):
    """One question with its colloquial paraphrases, a concise Chinese answer and where it comes from."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    id: str = Field(min_length=2, max_length=80)
    question: str = Field(min_length=2)
    paraphrases: list[str] = Field(min_length=1)
    answer: str = Field(min_length=2)
    source: str = Field(min_length=2)
    confidence: Literal["V", "S", "U"]
    topic: str = Field(min_length=1)
    related_items: list[str] = Field(default_factory=list)
    reviewer: str | None = None
    approved_on: dt.date | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be an ascii slug: lower-case letters, digits, '-' or '_' (e.g. prereview-days)")
        return value

    @field_validator("question", "answer", "source", mode="before")
    @classmethod
    def _join_wrapped(cls, value):
        return join_wrapped(value) if isinstance(value, str) else value

    @field_validator("paraphrases")
    @classmethod
    def _paraphrases(cls, value: list[str]) -> list[str]:
        cleaned = [p.strip() for p in value]
        if any(not p for p in cleaned):
            raise ValueError("paraphrases must not contain empty strings")
        return cleaned

    @model_validator(mode="after")
    def _uncertain_is_hedged(self) -> "FaqEntry":
        if self.confidence == "U" and UNCERTAIN_NOTICE not in self.answer:
            raise ValueError(f"field 'answer': confidence is U, so the answer must tell the user “{UNCERTAIN_NOTICE}” instead of asserting")
        return self

    @property
    def texts(self) -> list[str]:
        """Every wording of the question that retrieval indexes."""
        return [self.question, *self.paraphrases]


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"field '{where}': {message}" if where else message)
    return "; ".join(parts)


def parse_entry(raw: object, *, where: str) -> FaqEntry:
    """Validate one raw mapping; ``where`` names it in the error (e.g. ``faq/fees.yaml entry 3``)."""
    if not isinstance(raw, dict):
        raise FaqError(f"{where}: an entry must be a mapping with id, question, paraphrases, answer, source, "
                       f"confidence and topic, got {type(raw).__name__}")
    try:
        return FaqEntry.model_validate(raw)
    except ValidationError as error:
        label = f"{where} (id {raw.get('id')!r})" if raw.get("id") else where
        raise FaqError(f"{label}: {_describe(error)}") from None


def read_faq_file(path: Path) -> list[FaqEntry]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise FaqError(f"{path.name}: not valid YAML: {error}") from None
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise FaqError(f"{path.name}: the file must be a YAML list of entries (each starting with '- id: ...')")
    return [parse_entry(item, where=f"{path.name} entry {number}") for number, item in enumerate(raw, start=1)]


def faq_files(root: Path | str | None = None) -> list[Path]:
    directory = faq_dir(root)
    return sorted(directory.glob("*.yaml")) if directory.is_dir() else []


def load_faq(data_dir: Path | str | None = None) -> list[FaqEntry]:
    """Every FAQ entry under ``<data_dir>/faq/*.yaml`` (default: the configured data directory).

    Raises FaqError with a precise message on a schema error or a duplicate id.
    """
    entries: list[FaqEntry] = []
    seen: dict[str, str] = {}
    for path in faq_files(data_dir):
        for entry in read_faq_file(path):
            if entry.id in seen:
                raise FaqError(f"{path.name}: duplicate FAQ id {entry.id!r} (already used in {seen[entry.id]})")
            seen[entry.id] = path.name
            entries.append(entry)
    return entries


def files_signature(root: Path | str | None = None) -> tuple:
    """(name, mtime_ns, size) of every FAQ file: changes whenever a file is added, removed or edited."""
    signature = []
    for path in faq_files(root):
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            continue
        signature.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(signature)
