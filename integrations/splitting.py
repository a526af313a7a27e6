"""Split an application into department pre-review tasks, using the item catalogue of knowledge/.

- the business licence (the entity type's kind "1" item): one task for the registration authority;
- the N filings (多证合一, integrated by default; one kind "N" item per entity type): one task,
  limit = licence days + 2 (N类事项不得超过原营业执照办理期限2天);
- each chosen X item (证照联办, applicant's choice): one task for the item's department,
  limit = the item's promised days, capped at 7 (on-site inspection) or 5 working days.
"""
from __future__ import annotations

from dataclasses import dataclass

from integrations import deadlines, schema
from integrations.schema import InvalidApplication

LICENCE, N_FILINGS, X_ITEM = "1", "N", "X"


@dataclass(frozen=True)
class PlannedTask:
    kind: str
    item_ids: tuple[str, ...]
    name: str
    department: str
    processing_days: int


# The knowledge item ids of the licence ("1") and the integrated filings ("N") for each entity type.
LICENCE_ITEM = {
    schema.INDIVIDUAL_BUSINESS: "establish_individual",
    schema.LIMITED_COMPANY: "establish_llc",
    schema.SOLE_PROPRIETORSHIP: "establish_sole_proprietorship",
    schema.PARTNERSHIP: "establish_partnership",
}
N_ITEM = {
    schema.INDIVIDUAL_BUSINESS: "multi_cert_individual",
    schema.LIMITED_COMPANY: "multi_cert_enterprise",
    schema.SOLE_PROPRIETORSHIP: "multi_cert_enterprise",
    schema.PARTNERSHIP: "multi_cert_enterprise",
}


def lookup_item(kb, item_id: str):
    try:
        return kb.item(item_id)
    except (KeyError, LookupError):
        return None


def _required_item(kb, item_id: str, kind: str):
    item = lookup_item(kb, item_id)
    if item is None or item.kind != kind:
        raise RuntimeError(f"knowledge base has no kind {kind!r} item {item_id!r}")
    return item


def plan_tasks(kb, entity_type: str, x_item_ids: list[str]) -> list[PlannedTask]:
    """The tasks for one application; InvalidApplication({"x_items": ...}) for an unknown or non-X item."""
    licence = _required_item(kb, LICENCE_ITEM[entity_type], LICENCE)
    licence_days = deadlines.licence_days(licence.promised_days)
    plan = [PlannedTask(LICENCE, (licence.id,), licence.name, licence.department, licence_days)]

    n_item = _required_item(kb, N_ITEM[entity_type], N_FILINGS)
    plan.append(PlannedTask(N_FILINGS, (n_item.id,), n_item.name, n_item.department,
                            deadlines.n_days(licence_days)))

    for item_id in x_item_ids:
        item = lookup_item(kb, item_id)
        if item is None:
            raise InvalidApplication({"x_items": f"没有找到联办事项“{item_id}”，请重新选择。"})
        if item.kind != X_ITEM:
            raise InvalidApplication({"x_items": f"“{item.name}”不是可选择联办的X类事项。"})
        days = deadlines.x_days(item.promised_days, bool(item.onsite_inspection))
        plan.append(PlannedTask(X_ITEM, (item.id,), item.name, item.department, days))
    return plan
