from __future__ import annotations

import pytest
from provider_stubs import TASK, TOOLS

from harness.providers.base import ToolCall, ToolResult
from harness.providers.registry import create_provider
from harness.providers.scripted import ScriptedConversation, ScriptStep
from harness.transcript import Usage


async def test_reference_is_replayed_one_call_per_turn_then_the_reply():
    async with create_provider("scripted/reference") as provider:
        conversation = provider.open(system="s", tools=TOOLS, prompt=TASK.prompt, task=TASK)
        turns = []
        while True:
            turn = await conversation.next_turn()
            turns.append(turn)
            if not turn.tool_calls:
                break
            conversation.add_tool_results([ToolResult(c.id, c.name, "ok", False) for c in turn.tool_calls])

    assert [t.tool_calls for t in turns] == [
        [ToolCall(id="ref-1", name="get_customer", arguments={"customer_id": "cus-1"})],
        [ToolCall(id="ref-2", name="list_orders", arguments={"customer_id": "cus-1", "limit": 5})],
        [],
    ]
    assert [t.stop_reason for t in turns] == ["tool_use", "tool_use", "end_turn"]
    assert turns[-1].text == "Customer cus-1 is on the gold tier."
    assert all(t.usage == Usage() for t in turns)
    assert turns[0].exchange["response"]["tool_calls"][0]["name"] == "get_customer"
    assert [r.call_id for r in conversation.results] == ["ref-1", "ref-2"]


async def test_reference_calls_to_unlisted_tools_are_noted_in_the_exchange():
    async with create_provider("scripted/reference") as provider:
        conversation = provider.open(system="s", tools=TOOLS[:1], prompt=TASK.prompt, task=TASK)
        await conversation.next_turn()
        conversation.add_tool_results([ToolResult("ref-1", "get_customer", "ok", False)])
        second = await conversation.next_turn()

    assert "list_orders" in second.exchange["response"]["note"]


async def test_a_finished_script_refuses_further_turns():
    conversation = ScriptedConversation([ScriptStep(text="done")])
    await conversation.next_turn()
    with pytest.raises(RuntimeError, match="no turns left"):
        await conversation.next_turn()


def test_a_script_must_end_without_tool_calls():
    with pytest.raises(ValueError, match="must end"):
        ScriptedConversation([ScriptStep(calls=[ToolCall(id="1", name="x", arguments={})])])
