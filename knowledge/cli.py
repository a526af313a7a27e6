"""The knowledge CLI: a stable interface for tests and operators. `--json` prints JSON on stdout.

  python -m knowledge validate [--json]
  python -m knowledge scenarios [--json]
  python -m knowledge items [--json]
  python -m knowledge checklist --scenario 饭店 [--answer KEY=VALUE ...] [--json]
  python -m knowledge ask "预审要几天" [--json]

Exit status: 0 success; 1 the data files are invalid; 2 bad input (unknown scenario, bad answer, usage).
Error messages go to stderr; with --json an {"error": ...} object is also printed on stdout.
"""
from __future__ import annotations

import argparse
import json
import sys

from knowledge.faq import data_dir
from knowledge.loader import KnowledgeDataError, KnowledgeError, get_kb, load_knowledge_base

EXIT_OK, EXIT_INVALID_DATA, EXIT_BAD_INPUT = 0, 1, 2


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _fail(message: str, code: int, as_json: bool) -> int:
    if as_json:
        _print_json({"error": message})
    print(message, file=sys.stderr)
    return code


def cmd_validate(args) -> int:
    root = data_dir()
    try:
        kb = load_knowledge_base(root)
    except KnowledgeDataError as error:
        if args.json:
            _print_json({"ok": False, "errors": error.errors})
        print(f"knowledge data in {root} is invalid ({len(error.errors)} problem(s)):", file=sys.stderr)
        for problem in error.errors:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID_DATA
    counts = {"items": len(kb.items), "scenarios": len(kb.scenarios), "materials": len(kb.materials),
              "faq": len(kb.faq)}
    if args.json:
        _print_json({"ok": True, "directory": str(root), **counts})
    else:
        print(f"知识库校验通过（{root}）：事项 {counts['items']} 个，套餐 {counts['scenarios']} 个，"
              f"材料 {counts['materials']} 种，FAQ {counts['faq']} 条。")
    return EXIT_OK


def scenario_dict(scenario) -> dict:
    return {
        "id": scenario.id, "name": scenario.name, "aliases": list(scenario.aliases), "summary": scenario.summary,
        "questions": [{"key": q.key, "prompt": q.prompt,
                       "options": [{"value": o.value, "label": o.label} for o in q.options],
                       "default": q.default} for q in scenario.questions],
    }


def cmd_scenarios(args) -> int:
    kb = get_kb()
    if args.json:
        _print_json([scenario_dict(s) for s in kb.scenarios])
        return EXIT_OK
    for scenario in kb.scenarios:
        print(f"{scenario.name}（{scenario.id}）：{scenario.summary}")
        if scenario.aliases:
            print(f"  又称：{'、'.join(scenario.aliases)}")
        for q in scenario.questions:
            options = "、".join(f"{o.label}={o.value}" for o in q.options)
            print(f"  - {q.key}：{q.prompt}（{options}；默认 {q.default}）")
    return EXIT_OK


def item_dict(item) -> dict:
    return item.model_dump(mode="json")


def cmd_items(args) -> int:
    kb = get_kb()
    if args.json:
        _print_json([item_dict(item) for item in kb.items])
        return EXIT_OK
    for item in kb.items:
        days = f"承诺{item.promised_days}个工作日" if item.promised_days else "即办"
        print(f"[{item.kind}] {item.name}（{item.id}，{item.department}，{days}）")
    return EXIT_OK


def _parse_answers(pairs: list[str]) -> dict[str, str]:
    answers = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"回答格式应为 KEY=VALUE，例如 entity_type=llc（收到“{pair}”）")
        answers[key.strip()] = value.strip()
    return answers


def cmd_checklist(args) -> int:
    from knowledge.checklist import build_checklist, render_text

    try:
        answers = _parse_answers(args.answer or [])
        checklist = build_checklist(args.scenario, answers)
    except ValueError as error:
        if isinstance(error, KnowledgeDataError):
            raise
        return _fail(str(error), EXIT_BAD_INPUT, args.json)
    except KnowledgeError as error:
        return _fail(str(error), EXIT_BAD_INPUT, args.json)
    if args.json:
        _print_json(checklist.to_dict())
    else:
        print(render_text(checklist))
    return EXIT_OK


def cmd_ask(args) -> int:
    from knowledge import retrieval

    answer = retrieval.ask(args.question)
    if args.json:
        _print_json({"answer": None} if answer is None else
                    {"answer": answer.answer, "source": answer.source, "score": answer.score})
    elif answer is None:
        print("没有找到可靠的答案，建议转人工咨询窗口工作人员。")
    else:
        print(f"{answer.answer}\n（来源：{answer.source}；匹配度 {answer.score:.2f}）")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="Yici knowledge base tools")
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--json", action="store_true", help="print JSON on stdout")
        sub.set_defaults(handler=handler)
        return sub

    add("validate", cmd_validate, "check every data file and the cross-references")
    add("scenarios", cmd_scenarios, "list scenarios with their clarifying questions")
    add("items", cmd_items, "list items (1 / N / X / 开办)")
    checklist = add("checklist", cmd_checklist, "the checklist for a scenario and answers")
    checklist.add_argument("--scenario", required=True, help="scenario id, Chinese name or alias, e.g. 饭店")
    checklist.add_argument("--answer", action="append", metavar="KEY=VALUE", help="an answer; repeatable")
    ask = add("ask", cmd_ask, "answer a free-text guideline question")
    ask.add_argument("question")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KnowledgeDataError as error:
        return _fail(f"knowledge data is invalid; run `python -m knowledge validate`:\n{error}",
                     EXIT_INVALID_DATA, args.json)
