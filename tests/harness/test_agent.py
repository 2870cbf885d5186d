"""The episode loop over the real in-process server, driven by a fake model that follows a script."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from mcp.types import CallToolResult, TextContent

from harness.agent import EpisodeLimits, backoff_sleep, render_tool_result, run_episode
from harness.connections import InProcessConnection
from harness.errors import RetryableProviderError
from harness.providers.base import ModelTurn, ToolCall, ToolResult, ToolSchema
from harness.tasks.models import ReferenceSolution, Task
from harness.transcript import Usage, expand_requests
from mcp_server.world.store import load_template

TEMPLATE = load_template()
OTHER_CLOCK = "2025-10-01T09:30:00-04:00"

# A turn of the fake model: the tool calls to make (name, arguments), or a final text reply.
Step = list[tuple[str, dict[str, Any]]] | str


def open_ticket_id() -> str:
    conn = TEMPLATE.connect_sync()
    try:
        row = conn.execute("SELECT id FROM support_tickets WHERE status = 'open' ORDER BY id LIMIT 1").fetchone()
    finally:
        conn.close()
    assert row is not None, "the world has no open ticket"
    return str(row[0])


def make_task(prompt: str = "What loyalty tier is customer cus-00001 in?", clock: str | None = None) -> Task:
    return Task(
        id="agent-loop-task", split="heldout", category="information_retrieval", difficulty="easy",
        requester="employee", requester_id="emp-001", prompt=prompt, clock=clock,
        reference=ReferenceSolution(calls=[], reply="-"),
    )


class FakeConversation:
    def __init__(self, steps: Callable[[int], Step], delay_s: float, fail_at: int | None, backoff_s: float = 0.0) -> None:
        self.steps, self.delay_s, self.fail_at, self.backoff_s = steps, delay_s, fail_at, backoff_s
        self.turn = 0
        self.received: list[list[ToolResult]] = []
        self.sent: list[dict[str, Any]] = []  # provider-native requests, as a real adapter records them

    async def next_turn(self) -> ModelTurn:
        self.turn += 1
        if self.backoff_s:
            await backoff_sleep(self.backoff_s)  # as an adapter does while a provider is rate-limited
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_at == self.turn:
            raise RetryableProviderError("HTTP 529 overloaded, retries exhausted", status=529)
        step = self.steps(self.turn)
        usage = Usage(input_tokens=100, output_tokens=10)
        history = [{"role": "user", "content": "task"}] + [{"role": "tool", "n": n} for n in range(len(self.received))]
        request = {"model": "fake", "turn": self.turn, "tools": [{"name": "searchCustomers"}], "messages": history}
        self.sent.append(request)
        exchange = {"request": request, "response": {"turn": self.turn}}
        if isinstance(step, str):
            return ModelTurn(text=step, tool_calls=[], usage=usage, stop_reason="end_turn", exchange=exchange)
        calls = [ToolCall(id=f"call-{self.turn}-{i}", name=name, arguments=args) for i, (name, args) in enumerate(step)]
        return ModelTurn(text="", tool_calls=calls, usage=usage, stop_reason="tool_use", exchange=exchange)

    def add_tool_results(self, results: list[ToolResult]) -> None:
        self.received.append(results)


class FakeProvider:
    model = "fake/scripted-turns"
    settings: dict[str, Any] = {"max_tokens": 100}

    def __init__(
        self, steps: Callable[[int], Step], *, delay_s: float = 0.0, fail_at: int | None = None, backoff_s: float = 0.0
    ) -> None:
        self.conversation = FakeConversation(steps, delay_s, fail_at, backoff_s)
        self.opened: dict[str, Any] = {}

    def open(self, *, system: str, tools: list[ToolSchema], prompt: str, task: Task) -> FakeConversation:
        self.opened = {"system": system, "tools": tools, "prompt": prompt}
        return self.conversation

    async def aclose(self) -> None:
        return None


def script(*steps: Step) -> Callable[[int], Step]:
    return lambda turn: steps[turn - 1]


async def run(provider: FakeProvider, task: Task | None = None, limits: EpisodeLimits = EpisodeLimits(), **kw: Any):
    connection = InProcessConnection(TEMPLATE)
    try:
        return await run_episode(
            provider=provider, connection=connection, task=task or make_task(), trial=1,
            episode_id="agent-test-episode", limits=limits, **kw,
        )
    finally:
        await connection.aclose()


async def test_a_tool_call_and_a_final_reply_make_a_completed_episode() -> None:
    provider = FakeProvider(script([("searchCustomers", {"customer_id": "cus-00001"})], "Customer cus-00001 is gold."))
    record = await run(provider)
    assert (record.status, record.stop_reason, record.turns) == ("completed", "end_turn", 2)
    assert record.final_reply == "Customer cus-00001 is gold."
    [call] = record.tool_calls
    assert call.name == "searchCustomers" and not call.is_error and call.turn == 1
    found = json.loads(call.result)
    assert found["count"] == 1 and found["customers"][0]["id"] == "cus-00001"
    assert call.result == json.dumps(found, ensure_ascii=False, separators=(",", ":"))  # compact, not indented
    assert [m.role for m in record.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert provider.conversation.received[0][0].text == call.result
    assert record.usage.input_tokens == 200 and [e["response"] for e in record.exchanges] == [{"turn": 1}, {"turn": 2}]
    assert record.world is not None and record.world.changes == [] and record.world.content_hash == TEMPLATE.content_hash


async def test_requests_are_stored_as_deltas_that_expand_to_exactly_what_was_sent() -> None:
    provider = FakeProvider(lambda turn: [("searchCustomers", {"customer_id": "cus-00001"})] if turn < 4 else "Done.")
    record = await run(provider)
    assert expand_requests(record.exchanges) == provider.conversation.sent
    later = record.exchanges[3]
    assert set(later["request"]) == {"model", "turn"}  # the tool schemas and old messages are not repeated
    assert later["request_delta"] == {"unchanged": ["tools"], "appended": {"messages": [{"role": "tool", "n": 2}]}}


async def test_the_model_gets_the_policy_prompt_every_tool_and_the_task_prompt() -> None:
    provider = FakeProvider(script("Nothing to do."))
    task = make_task(clock=OTHER_CLOCK)
    await run(provider, task)
    assert provider.opened["prompt"] == task.prompt
    assert "Wednesday 01 October 2025" in provider.opened["system"]
    assert "searchCustomers" in {t.name for t in provider.opened["tools"]}
    assert len(provider.opened["tools"]) >= 20


async def test_a_tool_error_goes_back_to_the_model_and_the_episode_goes_on() -> None:
    provider = FakeProvider(script([("searchCustomers", {"limit": 0})], [("noSuchTool", {})], "I could not look it up."))
    record = await run(provider)
    assert record.status == "completed"
    bad_limit, unknown = record.tool_calls
    assert bad_limit.is_error and "limit" in bad_limit.result
    assert unknown.is_error and "noSuchTool" in unknown.result
    received = [r for turn in provider.conversation.received for r in turn]
    assert [r.is_error for r in received] == [True, True]


async def test_arguments_that_were_not_json_are_refused_without_calling_the_server() -> None:
    class BrokenArguments(FakeConversation):
        async def next_turn(self) -> ModelTurn:
            turn = await super().next_turn()
            if self.turn == 1:
                turn.tool_calls = [ToolCall(id="c1", name="searchCustomers", arguments={}, argument_error="arguments were not valid JSON: '{name: Ada'")]
            return turn

    provider = FakeProvider(script([("searchCustomers", {})], "Sorry."))
    provider.conversation = BrokenArguments(provider.conversation.steps, 0.0, None)
    record = await run(provider)
    [call] = record.tool_calls
    assert call.is_error and "not valid JSON" in call.result
    assert record.world is not None and record.status == "completed"


async def test_writes_reach_the_world_outcome_with_the_task_clock() -> None:
    ticket = open_ticket_id()
    provider = FakeProvider(script([("updateTicketStatus", {"ticket_id": ticket, "status": "pending_customer"})], "Done."))
    record = await run(provider, make_task(prompt=f"Put {ticket} on hold for the customer.", clock=OTHER_CLOCK))
    assert record.status == "completed" and not record.tool_calls[0].is_error
    assert record.world is not None and record.world.clock == OTHER_CLOCK
    changed = [(c.table, c.row_id, c.op) for c in record.world.changes]
    assert ("support_tickets", ticket, "update") in changed


async def test_a_model_that_never_stops_calling_tools_ends_as_max_turns() -> None:
    provider = FakeProvider(lambda turn: [("searchCustomers", {"customer_id": "cus-00001"})])
    record = await run(provider, limits=EpisodeLimits(max_turns=3))
    assert (record.status, record.turns, len(record.tool_calls)) == ("max_turns", 3, 3)
    assert record.final_reply is None and record.world is not None


async def test_an_episode_past_its_wall_clock_limit_ends_as_timeout_with_its_partial_trace() -> None:
    provider = FakeProvider(lambda turn: [("searchCustomers", {"customer_id": "cus-00001"})], delay_s=0.05)
    record = await run(provider, limits=EpisodeLimits(max_turns=10_000, timeout_s=0.3))
    assert record.status == "timeout" and "wall-clock" in record.stop_reason
    assert record.turns >= 1 and record.world is not None


async def test_time_spent_backing_off_from_a_failing_provider_does_not_count_toward_the_wall_clock_limit() -> None:
    steps = script([("searchCustomers", {"customer_id": "cus-00001"})], "Gold.")
    provider = FakeProvider(steps, backoff_s=0.25)
    record = await run(provider, limits=EpisodeLimits(timeout_s=0.2))
    assert (record.status, record.final_reply) == ("completed", "Gold.")


async def test_a_provider_failure_is_an_infrastructure_error_not_a_model_failure() -> None:
    provider = FakeProvider(lambda turn: [("searchCustomers", {"customer_id": "cus-00001"})], fail_at=2)
    record = await run(provider)
    assert record.status == "error" and "529" in (record.error or "")
    assert record.stop_reason.startswith("provider") and record.turns == 1


async def test_cost_is_priced_per_turn_and_reported_as_it_is_spent() -> None:
    spent: list[float] = []
    provider = FakeProvider(script([("searchCustomers", {"customer_id": "cus-00001"})], "Gold."))
    record = await run(provider, cost_of=lambda usage: usage.input_tokens / 1000, on_cost=spent.append)
    assert spent == [0.1, 0.1] and record.cost_usd == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (CallToolResult(content=[], structured_content={"result": []}), "[]"),
        (CallToolResult(content=[], structured_content={"customers": [], "count": 0}), '{"customers":[],"count":0}'),
        (CallToolResult(content=[], structured_content={"result": "Message posted."}), "Message posted."),
        (CallToolResult(content=[TextContent(type="text", text="plain")]), "plain"),
        (CallToolResult(content=[]), "The tool returned no content."),
        (CallToolResult(content=[], is_error=True), "The tool failed without a message."),
    ],
)
def test_tool_results_render_as_compact_text_that_is_never_empty(result: CallToolResult, expected: str) -> None:
    assert render_tool_result(result) == expected


class TextCallsConversation(FakeConversation):
    """Turn 1 makes the calls in ``calls`` (as an adapter hands over calls read from text)."""

    def __init__(self, calls: list[ToolCall]) -> None:
        super().__init__(script([("searchCustomers", {})], "Done."), 0.0, None)
        self.calls = calls

    async def next_turn(self) -> ModelTurn:
        turn = await super().next_turn()
        if self.turn == 1:
            turn.tool_calls = self.calls
        return turn


async def test_a_call_to_a_tool_nobody_lists_is_refused_with_the_list_of_tools_and_the_episode_goes_on() -> None:
    provider = FakeProvider(script([("getCustomer", {"id": "cus-00001"})], "Sorry."))
    record = await run(provider)
    assert record.status == "completed"
    [call] = record.tool_calls
    assert call.is_error and call.arguments == {"id": "cus-00001"}
    # The loop's own refusal (the server would only say "Unknown tool"), naming what does exist.
    assert call.result.startswith("unknown tool 'getCustomer': no tool of that name exists.")
    assert "searchCustomers" in call.result and "processReturn" in call.result
    assert provider.conversation.received[0][0].text == call.result


async def test_calls_read_from_text_are_recorded_with_their_format_and_raw_text() -> None:
    raw = '<tool_call>{"name": "searchCustomers", "arguments": {"customer_id": "cus-00001"}}</tool_call>'
    broken = '<tool_call>{"name": "searchCustomers", "arguments": {customer_id}}</tool_call>'
    provider = FakeProvider(script())
    provider.conversation = TextCallsConversation([
        ToolCall(id="text_call_1", name="searchCustomers", arguments={"customer_id": "cus-00001"}, parsed_from="hermes", raw_text=raw),
        ToolCall(id="text_call_2", name="searchCustomers", arguments={}, parsed_from="hermes", raw_text=broken,
                 argument_error="tool arguments are not valid JSON (Expecting property name): " + broken),
    ])
    record = await run(provider)
    found, refused = record.tool_calls
    assert (found.parsed_from, found.raw_text, found.is_error) == ("hermes", raw, False)
    assert json.loads(found.result)["customers"][0]["id"] == "cus-00001"
    assert (refused.parsed_from, refused.raw_text, refused.is_error) == ("hermes", broken, True)
    assert refused.result.startswith("tool arguments are not valid JSON (") and "Available tools: searchCustomers" in refused.result
    assert record.messages[2].tool_calls[0]["parsed_from"] == "hermes"


async def test_compact_tool_descriptions_reach_the_model_with_the_same_tools() -> None:
    full, compact = FakeProvider(script("Done.")), FakeProvider(script("Done."))
    await run(full)
    await run(compact, tool_descriptions="compact")
    full_tools, compact_tools = full.opened["tools"], compact.opened["tools"]
    assert [t.name for t in compact_tools] == [t.name for t in full_tools]
    assert [t.input_schema.get("required") for t in compact_tools] == [t.input_schema.get("required") for t in full_tools]
    assert sum(len(t.description) for t in compact_tools) < sum(len(t.description) for t in full_tools) / 2
    assert all("\n" not in t.description for t in compact_tools)


async def test_episodes_on_one_connection_share_their_tool_schemas_while_a_new_listing_gets_its_own() -> None:
    """Providers recognise a tool list they have already laid out by its schema objects."""
    first, second, compact, elsewhere = (FakeProvider(script("Done.")) for _ in range(4))
    connection = InProcessConnection(TEMPLATE)
    try:
        for provider, descriptions in ((first, "full"), (second, "full"), (compact, "compact")):
            await run_episode(provider=provider, connection=connection, task=make_task(), trial=1,
                              episode_id=f"schemas-{descriptions}-{id(provider)}", tool_descriptions=descriptions)
    finally:
        await connection.aclose()
    await run(elsewhere)
    shared, again = first.opened["tools"], second.opened["tools"]
    assert shared is not again and all(a is b for a, b in zip(shared, again, strict=True))
    assert [t.description for t in compact.opened["tools"]] != [t.description for t in shared]
    assert elsewhere.opened["tools"] == shared and not any(a is b for a, b in zip(shared, elsewhere.opened["tools"]))
