"""A training reply may state only amounts and dates it has grounds for."""

from __future__ import annotations

from harness.tasks.grounding import stated_amounts, ungrounded
from harness.tasks.models import Rubric, Task
from harness.transcript import EpisodeRecord, ToolCallRecord


def _task(prompt: str = "How much would I get back for order ord-250816-716?") -> Task:
    return Task.model_validate({
        "id": "tr-demo-0001", "split": "train", "category": "reasoning", "difficulty": "easy", "requester": "customer",
        "requester_id": "cus-00053", "prompt": prompt, "reference": {"calls": [], "reply": "x"}, "family": "demo",
    })


def _rubric(numbers: list[float] = (), dates: list[str] = ()) -> Rubric:  # type: ignore[assignment]
    return Rubric.model_validate({"task_id": "tr-demo-0001", "criteria": [{
        "id": "c1", "text": "states the amount", "kind": "correctness",
        "check": {"method": "response", "numbers": [{"value": n} for n in numbers], "dates": [{"value": d} for d in dates],
                  "never_says": ["no refund"]},
    }]})


def _record(*results: str) -> EpisodeRecord:
    calls = [ToolCallRecord(call_id=str(n), name="getOrderDetails", arguments={"order_id": "ord-250816-716"}, result=text,
                            is_error=False, duration_ms=1.0, turn=1) for n, text in enumerate(results)]
    return EpisodeRecord(key="k", task_id="tr-demo-0001", trial=0, model="m", status="completed", stop_reason="final_reply",
                         tool_calls=calls)


ORDER = '{"id": "ord-250816-716", "created_at": "2025-08-16T14:12:00Z", "subtotal": 696.99, "loyalty_discount": 69.70}'


def test_amounts_are_read_in_every_money_format_but_ids_and_counts_are_not() -> None:
    assert stated_amounts("$1,184.13, USD 9.99, 402.78 dollars, 12.00 USD; prd-0119, 3 kits, ord-250815-543") == [
        1184.13, 9.99, 402.78, 12.0]


def test_amounts_from_the_results_the_rubric_and_the_replys_own_arithmetic_are_grounded() -> None:
    reply = "You would get $627.29 back: $696.99 less the 10% gold discount ($69.70). Shipping ($9.99) is not refunded."
    assert ungrounded(reply, _task(), _rubric([627.29]), _record(ORDER, '{"shipping_cost": 9.99}')) == []


def test_a_made_up_amount_or_a_trap_value_is_named() -> None:
    reply = "You would get $696.99 back, the item price, plus $10.00 for your trouble."
    assert ungrounded(reply, _task(), _rubric([627.29]), _record(ORDER)) == ["the amount 10.00"]


def test_dates_must_come_from_results_or_the_policy_rules_applied_to_them() -> None:
    record = _record(ORDER)
    deadline = "You can return it until September 15, 2025; the order was placed on August 16, 2025."
    assert ungrounded(deadline, _task(), _rubric(), record) == []
    made_up = "Your warranty ends on March 15, 2027."
    assert ungrounded(made_up, _task(), _rubric(), record) == ["the date 2027-03-15"]
    assert ungrounded("Your warranty ends on August 16, 2027.", _task(), _rubric(), record) == []
