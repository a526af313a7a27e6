"""Loading and cross-checking the knowledge data, and the per-process KnowledgeBase with hot reload.

Layout of the data directory (env KNOWLEDGE_DATA_DIR, default knowledge/data):
  departments.yaml      the departments (names must be knowledge.DEPARTMENTS)
  materials.yaml        the material catalogue; items refer to materials by id
  common.yaml           questions shared by scenarios, rules applied in every scenario, process facts
  items/*.yaml          lists of items (1 / N / X / 开办)
  scenarios/*.yaml      one scenario (主题式套餐) per file
  faq/*.yaml            guideline FAQ (model and loader in knowledge.faq)

Every error names the file, the entry and the field; all errors are collected and reported together.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.faq import FaqEntry, FaqError, data_dir, load_faq
from knowledge.schema import (
    DEPARTMENTS, Common, Department, Item, Material, MaterialUse, QuestionRef, Scenario,
    condition_values,
)

log = logging.getLogger(__name__)

_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster

CHECK_INTERVAL_SECONDS = 1.0


class KnowledgeError(Exception):
    """Base of the knowledge package's errors; `str(error)` is the message to show."""


class KnowledgeDataError(KnowledgeError, ValueError):
    """The data files are invalid. `errors` lists every problem, each naming file, entry and field."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class UnknownItem(KnowledgeError, LookupError):
    pass


class UnknownScenario(KnowledgeError, LookupError):
    """No scenario has this id, name or alias; the message (Chinese) lists the scenarios."""


@dataclass(frozen=True)
class KnowledgeBase:
    directory: Path
    departments: tuple[Department, ...]
    materials: dict[str, Material]
    common: Common
    items: tuple[Item, ...]
    scenarios: tuple[Scenario, ...]
    faq: tuple[FaqEntry, ...]
    signature: tuple = ()
    _items_by_id: dict[str, Item] = field(default_factory=dict, repr=False)
    _scenario_names: dict[str, Scenario] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._items_by_id.update({item.id: item for item in self.items})
        for scenario in self.scenarios:
            for name in [scenario.id, *scenario.names]:
                self._scenario_names.setdefault(_lookup_key(name), scenario)

    @property
    def version(self) -> int:
        """Changes whenever the data files change (e.g. to rebuild a derived index)."""
        return hash(self.signature)

    def item(self, item_id: str) -> Item:
        try:
            return self._items_by_id[item_id]
        except KeyError:
            raise UnknownItem(f"unknown item {item_id!r}") from None

    def find_scenario(self, id_or_name: str) -> Scenario | None:
        return self._scenario_names.get(_lookup_key(id_or_name))

    def scenario(self, id_or_name: str) -> Scenario:
        """The scenario with this id, Chinese name or alias; UnknownScenario (Chinese message) otherwise."""
        scenario = self.find_scenario(id_or_name)
        if scenario is None:
            choices = "、".join(s.name for s in self.scenarios)
            raise UnknownScenario(f"没有找到“{id_or_name}”对应的行业套餐。可选的套餐：{choices}。")
        return scenario

    def match_scenario(self, text: str) -> Scenario | None:
        """The scenario named in free text ("我想开一家饭店" -> 饭店/餐饮), or None.

        Every scenario name, name part and alias found in the text is a candidate; the longest wins (so
        "小饭馆" picks 小餐饮店 over 饭店/餐饮's "饭馆"), then the earliest in the text.
        """
        if not text:
            return None
        exact = self.find_scenario(text)
        if exact is not None:
            return exact
        haystack = _lookup_key(text)
        best: tuple[int, int] | None = None
        found = None
        for key, scenario in self._scenario_names.items():
            position = haystack.find(key)
            if position < 0 or not _is_cjk(key):
                continue
            rank = (-len(key), position)
            if best is None or rank < best:
                best, found = rank, scenario
        return found

    def department(self, name: str) -> Department:
        return next(d for d in self.departments if d.name == name)


def _is_cjk(text: str) -> bool:
    """Only Chinese names are searched inside free text (ascii ids match exactly, not as substrings)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _lookup_key(text: str) -> str:
    return str(text).strip().lower().replace("（", "(").replace("）", ")")


# --- reading files ----------------------------------------------------------------------------------------

def _read_yaml(path: Path, root: Path, errors: list[str]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except FileNotFoundError:
        errors.append(f"{_rel(path, root)}: file is missing")
    except yaml.YAMLError as error:
        errors.append(f"{_rel(path, root)}: not valid YAML: {error}")
    return None


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _describe(error: ValidationError) -> list[str]:
    described = []
    for problem in error.errors():
        where = _loc(problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "missing":
            message = "is required but missing"
        elif problem["type"] == "extra_forbidden":
            message = "is not a known field (check the spelling)"
        elif problem["type"] == "literal_error":
            message = f"{message} (got {problem.get('input')!r})"
        described.append(f"field '{where}': {message}" if where else message)
    return described


def _loc(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith("function-") or part in ("str", "list[str]"):
            continue
        else:
            text += f".{part}" if text else part
    return text


def _validate(model: type[BaseModel], raw: Any, where: str, errors: list[str]) -> Any:
    if not isinstance(raw, dict):
        errors.append(f"{where}: must be a mapping of fields, got {type(raw).__name__}")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        errors.extend(f"{where}: {problem}" for problem in _describe(error))
        return None


def _entry_label(kind: str, raw: Any, number: int) -> str:
    ident = raw.get("id") or raw.get("name") if isinstance(raw, dict) else None
    return f"{kind} {ident!r} (entry {number})" if ident else f"{kind} entry {number}"


def _load_list(path: Path, root: Path, errors: list[str]) -> list:
    raw = _read_yaml(path, root, errors)
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.append(f"{_rel(path, root)}: the file must be a YAML list of entries (each starting with '- ')")
        return []
    return raw


def _load_departments(root: Path, errors: list[str]) -> tuple[Department, ...]:
    path = root / "departments.yaml"
    departments = []
    for number, raw in enumerate(_load_list(path, root, errors), start=1):
        where = f"{_rel(path, root)}: {_entry_label('department', raw, number)}"
        department = _validate(Department, raw, where, errors)
        if department:
            departments.append(department)
    names = [d.name for d in departments]
    missing = [name for name in DEPARTMENTS if name not in names]
    if path.exists() and missing:
        errors.append(f"{_rel(path, root)}: departments missing: {', '.join(missing)}")
    return tuple(departments)


def _load_materials(root: Path, errors: list[str]) -> dict[str, Material]:
    path = root / "materials.yaml"
    materials: dict[str, Material] = {}
    for number, raw in enumerate(_load_list(path, root, errors), start=1):
        where = f"{_rel(path, root)}: {_entry_label('material', raw, number)}"
        material = _validate(Material, raw, where, errors)
        if material is None:
            continue
        if material.id in materials:
            errors.append(f"{where}: field 'id': duplicate material id {material.id!r}")
            continue
        materials[material.id] = material
    return materials


def _load_common(root: Path, errors: list[str]) -> Common | None:
    path = root / "common.yaml"
    raw = _read_yaml(path, root, errors)
    if raw is None:
        return None
    return _validate(Common, raw, _rel(path, root), errors)


def _resolve_materials(raw_item: dict, materials: dict[str, Material], where: str, errors: list[str]) -> dict:
    """The raw item with each material reference replaced by the merged ItemMaterial fields."""
    uses = raw_item.get("materials") or []
    if not isinstance(uses, list):
        return raw_item  # the Item model reports the type error
    resolved = []
    for number, raw_use in enumerate(uses):
        label = f"{where}: field 'materials[{number}]'"
        use = _validate(MaterialUse, raw_use, label, errors)
        if use is None:
            continue
        material = materials.get(use.id)
        if material is None:
            errors.append(f"{label}: unknown material {use.id!r} (add it to materials.yaml or fix the id)")
            continue
        notes = "；".join(n for n in (material.notes, use.notes) if n)
        resolved.append({
            "id": material.id, "name": material.name, "notes": notes,
            "provided_by_system": material.provided_by_system, "commitment_ok": use.commitment_ok,
            "deferrable": use.deferrable, "confidence": material.confidence, "source": material.source,
            "when": use.when,
        })
    return {**raw_item, "materials": resolved}


def _load_items(root: Path, materials: dict[str, Material], errors: list[str],
                invalid: set[str]) -> tuple[Item, ...]:
    """The valid items; the ids of invalid ones are added to `invalid`."""
    items: dict[str, Item] = {}
    where_defined: dict[str, str] = {}
    for path in sorted((root / "items").glob("*.yaml")):
        for number, raw in enumerate(_load_list(path, root, errors), start=1):
            where = f"{_rel(path, root)}: {_entry_label('item', raw, number)}"
            if isinstance(raw, dict):
                raw = _resolve_materials(raw, materials, where, errors)
            item = _validate(Item, raw, where, errors)
            if item is None:
                if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                    invalid.add(raw["id"])  # reported once here, not again by every scenario using it
                continue
            if item.id in items:
                errors.append(f"{where}: field 'id': duplicate item id {item.id!r} (already in {where_defined[item.id]})")
                continue
            items[item.id] = item
            where_defined[item.id] = _rel(path, root)
    if not items and not errors:
        errors.append(f"{_rel(root / 'items', root)}: no item files found")
    return tuple(items.values())


def _expand_questions(raw: dict, common: Common | None, where: str, errors: list[str]) -> dict:
    """A scenario's questions given by key become full questions from common.yaml (with overrides)."""
    questions = raw.get("questions")
    if not isinstance(questions, list):
        return raw
    shared = {q.key: q for q in common.questions} if common else {}
    expanded = []
    for number, entry in enumerate(questions):
        label = f"{where}: field 'questions[{number}]'"
        if isinstance(entry, dict) and "options" in entry:
            expanded.append(entry)
            continue
        ref = _validate(QuestionRef, entry, label, errors)
        if ref is None:
            continue
        if ref.key not in shared:
            errors.append(f"{label}: unknown question key {ref.key!r}: not in common.yaml; define it here with "
                          f"prompt, options and default")
            continue
        question = shared[ref.key].model_dump()
        question.update({k: v for k, v in ref.model_dump().items() if v is not None})
        expanded.append(question)
    return {**raw, "questions": expanded}


def _load_scenarios(root: Path, common: Common | None, errors: list[str]) -> tuple[tuple[Scenario, ...], dict]:
    """The scenarios, and the file each was read from (for error messages)."""
    scenarios: dict[str, Scenario] = {}
    files: dict[str, str] = {}
    for path in sorted((root / "scenarios").glob("*.yaml")):
        raw = _read_yaml(path, root, errors)
        if raw is None:
            continue
        ident = raw.get("id") if isinstance(raw, dict) else None
        where = f"{_rel(path, root)}: scenario {ident!r}" if ident else _rel(path, root)
        if isinstance(raw, dict):
            raw = _expand_questions(raw, common, where, errors)
            if common and isinstance(raw.get("rules"), list):
                raw = {**raw, "rules": [r.model_dump() for r in common.rules] + raw["rules"]}
        scenario = _validate(Scenario, raw, where, errors)
        if scenario is None:
            continue
        if scenario.id in scenarios:
            errors.append(f"{where}: field 'id': duplicate scenario id {scenario.id!r}")
            continue
        scenarios[scenario.id] = scenario
        files[scenario.id] = _rel(path, root)
    if not scenarios and not errors:
        errors.append(f"{_rel(root / 'scenarios', root)}: no scenario files found")
    return tuple(sorted(scenarios.values(), key=lambda s: (s.order, s.id))), files


# --- cross-references ---------------------------------------------------------------------------------------

def _check_conditions(conditions: dict, scenario: Scenario, where: str, errors: list[str]) -> None:
    for key, accepted in conditions.items():
        question = scenario.question(key)
        if question is None:
            keys = ", ".join(q.key for q in scenario.questions)
            errors.append(f"{where}: rule key {key!r} is not one of this scenario's questions ({keys})")
            continue
        values = [o.value for o in question.options]
        for value in condition_values(accepted):
            if value not in values:
                errors.append(f"{where}: value {value!r} for {key!r} is not an option of that question "
                              f"({', '.join(values)})")


def _check_scenarios(scenarios: tuple[Scenario, ...], files: dict[str, str], items: dict[str, Item],
                     invalid_items: set[str], common: Common | None, errors: list[str]) -> None:
    common_count = len(common.rules) if common else 0
    owner_of_name: dict[str, str] = {}
    for scenario in scenarios:
        label = f"{files[scenario.id]}: scenario {scenario.id!r}"
        for number, rule in enumerate(scenario.rules):
            where = (f"{label}: common.yaml rules[{number}] (item {rule.item!r})" if number < common_count
                     else f"{label}: field 'rules[{number - common_count}]' (item {rule.item!r})")
            item = items.get(rule.item)
            if item is None:
                if rule.item in invalid_items:
                    continue
                errors.append(f"{where}: unknown item {rule.item!r} (no item with this id in items/*.yaml)")
                continue
            _check_conditions(rule.when, scenario, where, errors)
            for material in item.materials:
                _check_conditions(material.when, scenario,
                                  f"{where}: material {material.id!r} of item {item.id!r}", errors)
        for name in [scenario.id, *scenario.names]:
            key = _lookup_key(name)
            other = owner_of_name.setdefault(key, scenario.id)
            if other != scenario.id:
                errors.append(f"{label}: field 'aliases': {name!r} is also a name or alias of scenario {other!r}")


def load_knowledge_base(directory: Path | str | None = None) -> KnowledgeBase:
    """Read and validate every data file. Raises KnowledgeDataError listing every problem found."""
    root = Path(directory) if directory is not None else data_dir()
    signature = files_signature(root)
    errors: list[str] = []
    if not root.is_dir():
        raise KnowledgeDataError([f"{root}: knowledge data directory does not exist"])
    departments = _load_departments(root, errors)
    materials = _load_materials(root, errors)
    common = _load_common(root, errors)
    invalid_items: set[str] = set()
    items = _load_items(root, materials, errors, invalid_items)
    scenarios, scenario_files = _load_scenarios(root, common, errors)
    _check_scenarios(scenarios, scenario_files, {i.id: i for i in items}, invalid_items, common, errors)
    try:
        faq = tuple(load_faq(root))
    except FaqError as error:
        errors.append(f"faq/{error}")
        faq = ()
    item_ids = {item.id for item in items} | invalid_items
    for entry in faq:
        for related in entry.related_items:
            if related not in item_ids:
                errors.append(f"faq: entry {entry.id!r}: field 'related_items': unknown item {related!r}")
    if errors:
        raise KnowledgeDataError(errors)
    return KnowledgeBase(directory=root, departments=departments, materials=materials, common=common,
                         items=items, scenarios=scenarios, faq=faq, signature=signature)


def files_signature(root: Path) -> tuple:
    """(relative path, mtime_ns, size) of every data file: changes when a file is added, removed or edited."""
    signature = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith((".tmp", ".lock", "~")):
                continue
            path = Path(dirpath) / name
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            signature.append((str(path.relative_to(root)), stat.st_mtime_ns, stat.st_size))
    return tuple(signature)


# --- the per-process knowledge base -----------------------------------------------------------------------

class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.kb: KnowledgeBase | None = None
        self.checked_at = 0.0
        self.rejected_signature: tuple | None = None


_cache = _Cache()


def get_kb() -> KnowledgeBase:
    """The knowledge base of this process: loaded once, reloaded when a data file changes.

    File mtimes are checked at most once per CHECK_INTERVAL_SECONDS. If changed files are invalid, the
    previous knowledge base stays in use and the errors are logged (running processes keep answering);
    the first load raises KnowledgeDataError.
    """
    root = data_dir()
    with _cache.lock:
        kb = _cache.kb
        if kb is None or kb.directory != root:
            _cache.kb = load_knowledge_base(root)
            _cache.checked_at = time.monotonic()
            _cache.rejected_signature = None
            return _cache.kb
        now = time.monotonic()
        if now - _cache.checked_at < CHECK_INTERVAL_SECONDS:
            return kb
        _cache.checked_at = now
        signature = files_signature(root)
        if signature == kb.signature or signature == _cache.rejected_signature:
            return kb
        try:
            _cache.kb = load_knowledge_base(root)
            _cache.rejected_signature = None
            log.info("knowledge base reloaded from %s", root)
        except KnowledgeDataError as error:
            _cache.rejected_signature = signature
            log.error("knowledge data changed but is invalid; keeping the previous version:\n%s", error)
        return _cache.kb


def reset_kb() -> None:
    """Forget the cached knowledge base (tests that change KNOWLEDGE_DATA_DIR)."""
    with _cache.lock:
        _cache.kb = None
        _cache.checked_at = 0.0
        _cache.rejected_signature = None
