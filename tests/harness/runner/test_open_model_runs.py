"""Open models end to end: `corecraft run` with an openai-compatible/ model against a stub server
on 127.0.0.1 (real sockets, the real openai SDK), over the in-process world."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from local_chat_server import MODEL, LocalChatServer, turn_of
from runner_support import lookup_task, write_task_root

from harness.agent import EpisodeLimits
from harness.errors import ConfigurationError, ManifestMismatchError
from harness.runner import RunConfig, execute_run
from harness.runner.transcripts import TRANSCRIPTS_FILE, read_transcripts
from harness.transcript import EpisodeRecord

SEARCH = '{"name": "searchCustomers", "arguments": {"customer_id": "cus-00001"}}'


@pytest.fixture(autouse=True)
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A local server needs no key; none of the real ones may leak into these runs."""
    for name in ("CORECRAFT_COMPAT_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def task_root(tmp_path: Path) -> Path:
    return write_task_root(tmp_path / "suite", [lookup_task("om-lookup")])


def config(task_root: Path, out: Path, base_url: str, **changes: Any) -> RunConfig:
    fields: dict[str, Any] = dict(model=f"openai-compatible/{MODEL}", split="heldout", out_dir=out, concurrency=1,
                                  tasks_root=task_root, base_url=base_url, limits=EpisodeLimits(max_turns=8))
    fields.update(changes)
    return RunConfig(**fields)


def only_record(out: Path) -> EpisodeRecord:
    [record] = read_transcripts(out / TRANSCRIPTS_FILE).records.values()
    return record


def mixed_model(body: dict[str, Any]) -> dict[str, Any]:
    """Each turn in another way of writing calls: a good Hermes call, a GLM call to a tool that does
    not exist, a JSON call that does not parse, a structured call (its content must not be read),
    then the answer."""
    return {
        1: {"content": f"I will look the customer up.\n<tool_call>{SEARCH}</tool_call>"},
        2: {"content": "<tool_call>getCustomer<arg_key>id</arg_key><arg_value>cus-00001</arg_value></tool_call>"},
        3: {"content": '```json\n{"name": "searchCustomers", "arguments": {"customer_id": cus-00001}}\n```'},
        4: {"content": '{"name": "getOrderDetails", "arguments": {}}', "tool_calls": [
            {"id": "call_9", "type": "function",
             "function": {"name": "searchCustomers", "arguments": '{"customer_id": "cus-00001"}'}}]},
    }.get(turn_of(body), {"content": "Customer cus-00001 is on the gold tier."})


async def test_calls_written_as_text_reach_the_world_and_broken_ones_go_back_as_tool_errors(task_root, tmp_path):
    out, stream = tmp_path / "run", io.StringIO()
    with LocalChatServer(mixed_model) as server:
        summary = await execute_run(config(task_root, out, server.base_url), stream=stream)
    record = only_record(out)
    assert "· 4 tool calls in 5 turns ·" in stream.getvalue().splitlines()[-1]

    assert (record.status, record.turns, record.final_reply) == ("completed", 5, "Customer cus-00001 is on the gold tier.")
    found, unknown, broken, structured = record.tool_calls
    assert (found.name, found.parsed_from, found.is_error) == ("searchCustomers", "hermes", False)
    assert json.loads(found.result)["customers"][0]["id"] == "cus-00001"
    assert found.raw_text == f"<tool_call>{SEARCH}</tool_call>"
    assert (unknown.name, unknown.parsed_from, unknown.is_error) == ("getCustomer", "glm45", True)
    assert unknown.result.startswith("unknown tool 'getCustomer'") and "searchCustomers" in unknown.result
    assert (broken.parsed_from, broken.is_error, broken.arguments) == ("json", True, {})
    assert "not valid JSON" in broken.result and "Available tools: searchCustomers" in broken.result
    assert (structured.name, structured.parsed_from, structured.is_error) == ("searchCustomers", None, False)
    assert (summary.tool_calls, summary.turns, summary.without_tool_calls) == (4, 5, 0)

    # The server got the text call back as a structured call, answered by a tool message with its id.
    second = server.chat_requests[1]["messages"]
    assert second[2] == {"role": "assistant", "content": "I will look the customer up.", "tool_calls": [
        {"id": "text_call_1", "type": "function", "function": {"name": "searchCustomers", "arguments": '{"customer_id": "cus-00001"}'}}]}
    assert second[3]["role"] == "tool" and second[3]["tool_call_id"] == "text_call_1"
    assert json.loads((out / "manifest.json").read_text())["settings"]["tool_call_parser"] == "auto"


async def test_with_the_parser_off_a_run_of_text_calls_ends_with_a_loud_warning(task_root, tmp_path):
    out, stream = tmp_path / "run", io.StringIO()
    with LocalChatServer(lambda body: {"content": SEARCH}) as server:
        summary = await execute_run(config(task_root, out, server.base_url, settings={"tool_call_parser": "none"}),
                                    stream=stream)
    assert only_record(out).tool_calls == [] and only_record(out).final_reply == SEARCH
    assert summary.without_tool_calls == 1
    assert "WARNING: no episode made a single tool call" in summary.render()
    assert "WARNING: none of the 1 episodes finished so far made a tool call" in stream.getvalue()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_server_fails_the_run_before_any_episode(task_root, tmp_path):
    out = tmp_path / "run"
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(ConfigurationError, match=f"cannot reach the model server at {url}"):
        await execute_run(config(task_root, out, url), stream=io.StringIO())
    assert not (out / TRANSCRIPTS_FILE).exists()


async def test_a_server_that_lists_other_models_gets_a_note_and_the_run_goes_on(task_root, tmp_path):
    out, stream = tmp_path / "run", io.StringIO()
    with LocalChatServer(lambda body: {"content": "Gold."}) as server:
        await execute_run(config(task_root, out, server.base_url, model="openai-compatible/other-model"), stream=stream)
    assert f"lists the models {MODEL}, not 'other-model'" in stream.getvalue()
    assert only_record(out).status == "completed"


async def test_compact_tool_descriptions_are_sent_and_recorded_in_the_manifest(task_root, tmp_path):
    out = tmp_path / "run"
    with LocalChatServer(lambda body: {"content": "Gold."}) as server:
        await execute_run(config(task_root, out, server.base_url, tool_descriptions="compact"), stream=io.StringIO())
        full = tmp_path / "full"
        await execute_run(config(task_root, full, server.base_url), stream=io.StringIO())
        compact_tools, full_tools = server.chat_requests[0]["tools"], server.chat_requests[1]["tools"]
        with pytest.raises(ManifestMismatchError, match="tool_descriptions: 'compact' -> 'full'"):
            await execute_run(config(task_root, out, server.base_url), stream=io.StringIO())

    assert json.loads((out / "manifest.json").read_text())["tool_descriptions"] == "compact"
    assert len(json.dumps(compact_tools)) < 0.8 * len(json.dumps(full_tools))
    # Same tools, same required fields: only what describes them is shorter.
    assert [t["function"]["name"] for t in compact_tools] == [t["function"]["name"] for t in full_tools]
    assert [t["function"]["parameters"].get("required") for t in compact_tools] == \
        [t["function"]["parameters"].get("required") for t in full_tools]


async def test_a_run_recorded_before_tool_descriptions_existed_still_resumes_with_its_hash(task_root, tmp_path):
    out = tmp_path / "run"
    with LocalChatServer(lambda body: {"content": "Gold."}) as server:
        await execute_run(config(task_root, out, server.base_url, trials=1), stream=io.StringIO())
        manifest = json.loads((out / "manifest.json").read_text())
        del manifest["tool_descriptions"]  # as a run made before the field was written it
        (out / "manifest.json").write_text(json.dumps(manifest))
        await execute_run(config(task_root, out, server.base_url, trials=2), stream=io.StringIO())
    records = read_transcripts(out / TRANSCRIPTS_FILE).records.values()
    assert len(records) == 2 and len({r.manifest_hash for r in records}) == 1


async def test_the_dry_run_counts_the_prompt_with_the_servers_tokenizer(task_root, tmp_path):
    with LocalChatServer(lambda body: {"content": "-"}, tokens_per_char=0.5) as server:
        summary = await execute_run(config(task_root, tmp_path / "run", server.base_url, dry_run=True,
                                           tool_descriptions="compact"), stream=io.StringIO())
    assert summary.estimate is not None and summary.estimate.prompt is not None
    prompt = summary.estimate.prompt
    assert prompt.method.startswith(f"tokenizer of {MODEL} at http://127.0.0.1:")
    system_text, full_text, compact_text = server.tokenized
    assert prompt.system_tokens == int(len(system_text) * 0.5)
    assert prompt.tool_tokens == {"full": int(len(full_text) * 0.5), "compact": int(len(compact_text) * 0.5)}
    assert prompt.per_turn == prompt.system_tokens + prompt.tool_tokens["compact"]
    assert server.chat_requests == []  # a dry run asks the model nothing
    rendered = summary.estimate.render(f"openai-compatible/{MODEL}")
    assert "Prompt cost per turn (tokenizer of" in rendered and "with --compact-tools" in rendered


async def test_the_dry_run_estimates_the_prompt_when_no_tokenizer_answers(task_root, tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    summary = await execute_run(config(task_root, tmp_path / "run", url, dry_run=True), stream=io.StringIO())
    assert summary.estimate is not None and summary.estimate.prompt is not None
    assert summary.estimate.prompt.method.startswith("estimated at characters / 4")
    assert summary.estimate.prompt.tool_tokens["compact"] < summary.estimate.prompt.tool_tokens["full"]
