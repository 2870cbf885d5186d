from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.grading.records import write_jsonl
from harness.grading.results import CriterionGrade, EpisodeGrade
from harness.report import build_report, pass_at_k, pass_hat_k, render_markdown
from harness.transcript import EpisodeRecord, ToolCallRecord, Usage


def grade(task: str, trial: int, passed: bool | None, *, status: str = "graded", category: str = "reasoning",
          difficulty: str = "easy", reason: str | None = None) -> EpisodeGrade:
    criteria = [
        CriterionGrade(id="a", kind="correctness", method="state", met=True, reason="ok"),
        CriterionGrade(id="b", kind="format", method="judge", met=bool(passed), reason="ok"),
    ]
    return EpisodeGrade(
        key=f"{task}#{trial}", task_id=task, trial=trial, model="openai/gpt-x", status=status,  # type: ignore[arg-type]
        reward=(1.0 if passed else 0.5) if status == "graded" else None,
        passed=passed if status == "graded" else None, criteria=criteria if status == "graded" else [],
        category=category, difficulty=difficulty, reason=reason, judge="anthropic/judge",
    )


def three_tasks() -> list[EpisodeGrade]:
    # task a: 1 of 3 passed; task b: 3 of 3; task c: 0 of 3 (plus one ungraded and one error trial)
    return [
        grade("a", 0, True), grade("a", 1, False), grade("a", 2, False),
        grade("b", 0, True, category="multi_step", difficulty="hard"),
        grade("b", 1, True, category="multi_step", difficulty="hard"),
        grade("b", 2, True, category="multi_step", difficulty="hard"),
        grade("c", 0, False), grade("c", 1, False), grade("c", 2, False),
        grade("c", 3, None, status="ungraded", reason="malformed judge reply: no verdict for ['b']"),
        grade("c", 4, None, status="error", reason="provider 500"),
    ]


@pytest.mark.parametrize(
    ("n", "c", "k", "at_k", "hat_k"),
    [(3, 1, 1, 1 / 3, 1 / 3), (3, 1, 2, 2 / 3, 0.0), (3, 1, 3, 1.0, 0.0), (4, 2, 2, 5 / 6, 1 / 6),
     (5, 5, 3, 1.0, 1.0), (5, 0, 2, 0.0, 0.0), (10, 3, 4, 1 - 35 / 210, 0.0), (10, 7, 4, 1 - 0 / 210, 35 / 210)],
)
def test_pass_at_k_and_pass_hat_k_match_hand_computed_values(n: int, c: int, k: int, at_k: float, hat_k: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(at_k)
    assert pass_hat_k(n, c, k) == pytest.approx(hat_k)


def test_pass_at_k_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_hat_k(3, 1, 4)


def test_report_averages_pass_k_over_tasks_and_keeps_ungraded_and_errors_apart() -> None:
    report = build_report(three_tasks())
    assert report["episodes"] == 11
    assert (report["graded"], report["ungraded"], report["errors"], report["passed"]) == (9, 1, 1, 4)
    assert report["pass_rate"] == pytest.approx(4 / 9)
    assert report["pass_rate_ungraded_as_failed"] == pytest.approx(4 / 10)
    assert report["mean_reward"] == pytest.approx((4 * 1.0 + 5 * 0.5) / 9)
    assert report["trials"] == 3
    assert report["pass_at_k"] == pytest.approx({"1": 4 / 9, "2": 5 / 9, "3": 2 / 3})
    assert report["pass_hat_k"] == pytest.approx({"1": 4 / 9, "2": 1 / 3, "3": 1 / 3})
    assert report["tasks_counted"] == {"1": 3, "2": 3, "3": 3}
    assert report["ungraded_reasons"] == {"malformed judge reply: no verdict for ['b']": 1}
    assert report["error_reasons"] == {"provider 500": 1}


def test_pass_k_counts_only_tasks_with_at_least_k_graded_trials() -> None:
    report = build_report([grade("a", 0, True), grade("a", 1, False), grade("b", 0, True)])
    assert report["pass_at_k"] == pytest.approx({"1": (0.5 + 1.0) / 2, "2": 1.0})
    assert report["tasks_counted"] == {"1": 2, "2": 1}


def test_report_breaks_down_by_category_difficulty_kind_and_method() -> None:
    report = build_report(three_tasks())
    assert report["by_category"]["multi_step"]["pass_rate"] == 1.0
    assert report["by_category"]["reasoning"]["episodes"] == 8
    assert report["by_category"]["reasoning"]["pass_rate"] == pytest.approx(1 / 6)
    assert report["by_difficulty"]["hard"]["graded"] == 3
    assert report["by_criterion_kind"]["format"] == {"criteria": 9, "met": 4, "met_rate": pytest.approx(4 / 9)}
    assert report["by_check_method"]["state"] == {"criteria": 9, "met": 9, "met_rate": 1.0}


def test_report_json_shape_has_the_documented_top_level_keys() -> None:
    records = [
        EpisodeRecord(key="a#0", task_id="a", trial=0, model="openai/gpt-x", status="completed", stop_reason="final_reply",
                      usage=Usage(input_tokens=1200, output_tokens=300, reasoning_tokens=100), cost_usd=0.02),
        EpisodeRecord(key="a#1", task_id="a", trial=1, model="openai/gpt-x", status="completed", stop_reason="final_reply",
                      usage=Usage(input_tokens=800, output_tokens=200), cost_usd=0.01),
    ]
    report = json.loads(json.dumps(build_report(three_tasks(), records)))
    for key in ("pass_rate", "mean_reward", "episodes", "ungraded", "errors", "pass_at_k", "pass_hat_k", "by_category",
                "by_difficulty", "by_criterion_kind", "by_check_method", "usage", "judge_usage", "models", "warnings"):
        assert key in report
    assert report["usage"]["input_tokens"] == 2000
    assert report["usage"]["reasoning_tokens"] == 100
    assert report["usage"]["cost_usd"] == pytest.approx(0.03)
    assert report["models"] == ["openai/gpt-x"]


def test_an_empty_run_reports_no_rates_rather_than_zero() -> None:
    report = build_report([])
    assert report["pass_rate"] is None and report["mean_reward"] is None and report["pass_at_k"] == {}
    assert "n/a" in render_markdown(report)


def test_pooling_several_models_is_flagged() -> None:
    other = grade("a", 5, True)
    other.model = "anthropic/other"
    assert "pooled" in build_report([*three_tasks(), other])["warnings"][0]


def test_markdown_report_shows_headline_numbers_and_pass_k_table() -> None:
    text = render_markdown(build_report(three_tasks()))
    assert "**pass rate: 44.4 %** (4 of 9 graded)" in text
    assert "| 2 | 55.6 % | 33.3 % | 3 |" in text
    assert "1 x malformed judge reply" in text


def test_report_command_prints_json_with_tokens_from_transcripts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(tmp_path / "grades.jsonl", three_tasks())
    record = EpisodeRecord(key="a#0", task_id="a", trial=0, model="openai/gpt-x", status="completed",
                           stop_reason="final_reply", usage=Usage(input_tokens=10, output_tokens=5), cost_usd=0.5)
    write_jsonl(tmp_path / "transcripts.jsonl", [record])
    assert main(["report", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pass_rate"] == pytest.approx(4 / 9)
    assert report["usage"]["cost_usd"] == 0.5
    assert main(["report", str(tmp_path)]) == 0
    assert "# CoreCraft run report" in capsys.readouterr().out


def test_report_command_explains_a_missing_grades_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "run `corecraft grade` first" in capsys.readouterr().err


def episode(key: str, calls: list[ToolCallRecord], turns: int, status: str = "completed") -> EpisodeRecord:
    task, _, trial = key.partition("#")
    return EpisodeRecord(key=key, task_id=task, trial=int(trial), model="openai/gpt-x", status=status,  # type: ignore[arg-type]
                         stop_reason="-", tool_calls=calls, turns=turns)


def call(n: int, *, is_error: bool = False, parsed_from: str | None = None) -> ToolCallRecord:
    return ToolCallRecord(call_id=f"c{n}", name="searchCustomers", arguments={}, result="-", is_error=is_error,
                          duration_ms=1.0, turn=n, parsed_from=parsed_from)


def test_the_report_counts_tool_calls_and_turns_per_finished_episode() -> None:
    records = [episode("a#0", [call(1), call(2, is_error=True, parsed_from="json")], turns=3),
               episode("a#1", [], turns=1), episode("b#0", [call(1)], turns=4, status="error")]
    tool_use = build_report(three_tasks(), records)["tool_use"]
    assert {k: v for k, v in tool_use.items() if k != "per_episode"} == {
        "episodes": 2, "turns": 4, "tool_calls": 2, "parsed_from_text": 1, "tool_errors": 1, "without_tool_calls": 1}
    assert tool_use["per_episode"] == {
        "a#0": {"turns": 3, "tool_calls": 2, "parsed_from_text": 1, "tool_errors": 1},
        "a#1": {"turns": 1, "tool_calls": 0, "parsed_from_text": 0, "tool_errors": 0}}
    report = build_report(three_tasks(), records)
    assert report["warnings"] == ["1 of 2 episodes made no tool call"]
    assert ("- tool use: 2 tool calls (1 read from text, 1 answered with an error) in 4 model turns; per episode 1.0 "
            "calls and 2.0 turns; 1 of 2 episodes made none") in render_markdown(report)


def test_a_run_in_which_no_episode_called_a_tool_warns_loudly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(tmp_path / "grades.jsonl", three_tasks())
    write_jsonl(tmp_path / "transcripts.jsonl", [episode("a#0", [], turns=1), episode("a#1", [], turns=1)])
    assert main(["report", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tool_use"]["without_tool_calls"] == 2
    [warning] = report["warnings"]
    assert warning.startswith("NO TOOL CALLS: none of the 2 episodes made a single tool call")
    assert main(["report", str(tmp_path)]) == 0
    assert "> warning: NO TOOL CALLS" in capsys.readouterr().out


def test_without_transcripts_the_report_says_nothing_about_tool_use() -> None:
    report = build_report(three_tasks())
    assert report["tool_use"] is None and report["warnings"] == []
    assert "tool use" not in render_markdown(report)
