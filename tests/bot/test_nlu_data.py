"""The NLU training data in bot/nlu/: enough examples per intent, no example in two intents, intents
declared in the domain, and entity annotations exactly where the lookups and regexes find entities
(RegexEntityExtractor does the extraction, so an annotation it would not produce is a wrong label)."""
from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest
import yaml

from devtools.rasa_stack import BOT_DIR

NLU_DIR = BOT_DIR / "nlu"
MAIN_INTENTS = ("greet", "goodbye", "thank", "affirm", "deny", "ask_checklist", "ask_guideline",
                "start_application", "ask_progress", "request_human", "inform", "rate_service", "out_of_scope")
MIN_EXAMPLES = 60
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]+\}))")


def nlu_blocks() -> list[dict]:
    return [block for path in sorted(NLU_DIR.rglob("*.yml")) for block in yaml.safe_load(path.read_text())["nlu"]]


def items(block: dict) -> list[str]:
    return [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]


def parse(example: str) -> tuple[str, list[tuple[int, int, str, str]]]:
    """Plain text and (start, end, entity, value) of each annotation, as Rasa reads the example."""
    text, entities, position = "", [], 0
    for match in ANNOTATION.finditer(example):
        text += example[position:match.start()]
        if match.group("json"):
            spec = json.loads(match.group("json"))
            entity, value = spec["entity"], spec.get("value", match.group("text"))
        else:
            entity, value = match.group("entity"), match.group("text")
        entities.append((len(text), len(text) + len(match.group("text")), entity, value))
        text += match.group("text")
        position = match.end()
    return text + example[position:], entities


def examples_by_intent() -> dict[str, list[str]]:
    found = defaultdict(list)
    for block in nlu_blocks():
        if "intent" in block:
            found[block["intent"]].extend(items(block))
    return found


def domain_entities() -> set[str]:
    return set(yaml.safe_load((BOT_DIR / "domain" / "intents.yml").read_text())["entities"])


def extractor_patterns() -> list[tuple[str, str]]:
    """(entity, pattern) as Rasa's RegexEntityExtractor builds them (use_word_boundaries: false); lookups
    named after no entity (intent cues) only feed RegexFeaturizer."""
    patterns, entities = [], domain_entities()
    for block in nlu_blocks():
        if "regex" in block and block["regex"] in entities:
            patterns += [(block["regex"], pattern) for pattern in items(block)]
        elif "lookup" in block and block["lookup"] in entities:
            patterns.append((block["lookup"], "(" + "|".join(re.escape(e) for e in items(block)) + ")"))
    return patterns


def synonyms() -> dict[str, str]:
    return {text: str(block["synonym"]) for block in nlu_blocks() if "synonym" in block for text in items(block)}


def test_every_main_intent_has_enough_varied_examples():
    found = examples_by_intent()
    short = {intent: len(found[intent]) for intent in MAIN_INTENTS if len(found[intent]) < MIN_EXAMPLES}
    assert short == {}
    for intent, examples in found.items():
        plain = [parse(e)[0].strip().lower() for e in examples]
        duplicates = {t for t in plain if plain.count(t) > 1}
        assert not duplicates, (intent, duplicates)


def test_no_example_is_labelled_with_two_intents():
    labels = defaultdict(set)
    for intent, examples in examples_by_intent().items():
        for example in examples:
            labels[parse(example)[0].strip().lower()].add(intent)
    assert {text: sorted(intents) for text, intents in labels.items() if len(intents) > 1} == {}


def test_the_domain_declares_exactly_the_trained_intents_and_entities():
    domain = yaml.safe_load((BOT_DIR / "domain" / "intents.yml").read_text())
    trained = set(examples_by_intent())
    assert trained <= set(domain["intents"])
    assert set(domain["intents"]) - trained == set()  # every intent has examples
    annotated = {entity for examples in examples_by_intent().values() for example in examples
                 for _, _, entity, _ in parse(example)[1]}
    assert annotated <= domain_entities()


@pytest.mark.parametrize("intent", sorted(examples_by_intent()))
def test_entity_annotations_match_what_the_lookups_and_regexes_extract(intent):
    patterns, canonical = extractor_patterns(), synonyms()
    wrong = []
    for example in examples_by_intent()[intent]:
        text, annotated = parse(example)
        extracted = sorted({(m.start(), m.end(), entity) for entity, pattern in patterns
                            for m in re.finditer(pattern, text, flags=re.IGNORECASE)})
        if [(s, e, ent) for s, e, ent, _ in annotated] != extracted:
            wrong.append((example, extracted))
            continue
        for start, end, _, value in annotated:
            if value != canonical.get(text[start:end], text[start:end]):
                wrong.append((example, f"value {value!r} is not the synonym of {text[start:end]!r}"))
    assert wrong == []


@pytest.mark.parametrize("text, entity, value", [
    ("店开在萧山区北干街道", "district", "萧山区"), ("餘杭區", "district", "余杭区"), ("下城区", "district", "拱墅区"),
    ("查进度 YC20261122-0001", "application_id", "YC20261122-0001"),
    ("手机+8613812345678", "phone", "+8613812345678"), ("身份证11010519491231002X", "id_number", "11010519491231002X"),
    ("代码91330106MA2AXXXX1X", "uscc", "91330106MA2AXXXX1X"), ("评分 4", "rating", "4"), ("打5星", "rating", "5"),
    ("五颗星", "rating", "5"), ("我办个体户", "entity_type", "个体工商户"), ("开个烟酒店", "industry", "烟酒店"),
])
def test_identifiers_and_places_are_found_with_their_canonical_value(text, entity, value):
    canonical = synonyms()
    found = [m.group(0) for name, pattern in extractor_patterns() if name == entity
             for m in re.finditer(pattern, text, flags=re.IGNORECASE)]
    assert [canonical.get(f, f) for f in found] == [value]


def test_longer_lookup_entries_come_first():
    """Rasa joins a lookup into one alternation in file order: "个体" before "个体工商户" would cut it short."""
    for block in nlu_blocks():
        if "lookup" in block:
            entries = items(block)
            assert entries == sorted(entries, key=len, reverse=True), block["lookup"]
