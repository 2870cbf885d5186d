"""The run's progress line on stderr: one self-rewriting line on a terminal, plain periodic lines
in CI logs (where carriage returns would pile up into one unreadable line)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from harness.transcript import EpisodeStatus

# After this many finished episodes without a single tool call, the run says so (once).
NO_TOOL_CALL_WARN_AFTER = 3
NO_TOOL_CALL_HINT = (
    "A model that writes its tool calls as text needs a tool parser on its server or "
    "--setting tool_call_parser=<format> here (docs/open-models.md)."
)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Counts episodes and spend; ``done`` counts finished episodes (completed or capped), of which
    ``failed`` hit the turn or time cap; ``errored`` are infrastructure errors (not done). The
    model turns and tool calls are counted as they happen, and a run whose finished episodes make
    no tool call at all is called out on its own line."""

    def __init__(
        self,
        total: int,
        *,
        already_done: int = 0,
        stream: TextIO | None = None,
        interactive: bool | None = None,
        log_interval_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.total = total
        self.already_done = already_done
        self.done = already_done
        self.failed = 0
        self.errored = 0
        self.running = 0
        self.spent_usd = 0.0
        self.tool_calls = 0
        self.turns = 0
        self.finished_now = 0  # episodes this invocation finished (not errored)
        self.without_tool_calls = 0  # ... of which made no tool call
        self._warned_no_tools = False
        self.log_interval_s = log_interval_s
        self._clock = clock
        self._started = clock()
        self._last_shown = float("-inf")

    def episode_started(self) -> None:
        self.running += 1
        self._show()

    def add_turn(self, tool_calls: int) -> None:
        """A model turn ended (in any episode), having made ``tool_calls`` calls."""
        self.turns += 1
        self.tool_calls += tool_calls
        self._show()

    def episode_finished(self, status: EpisodeStatus, *, tool_calls: int = 0) -> None:
        """``tool_calls``: how many the episode made in all (a finished episode with none counts
        toward the warning)."""
        self.running -= 1
        if status == "error":
            self.errored += 1
        else:
            self.done += 1
            self.failed += status in ("max_turns", "timeout")
            self.finished_now += 1
            self.without_tool_calls += tool_calls == 0
        enough = min(NO_TOOL_CALL_WARN_AFTER, self.total - self.already_done)
        if not self._warned_no_tools and self.finished_now >= enough and self.without_tool_calls == self.finished_now:
            self._warned_no_tools = True
            self.note(f"WARNING: none of the {self.finished_now} episodes finished so far made a tool call: the "
                      f"model is not reaching the world. {NO_TOOL_CALL_HINT}")
            return
        self._show()

    def add_cost(self, usd: float) -> None:
        self.spent_usd += usd
        self._show()

    def note(self, message: str) -> None:
        """A message on its own line (an errored episode, a budget stop), not overwritten."""
        if self.interactive:
            self.stream.write("\r\x1b[K")
        self.stream.write(f"{message}\n")
        self._last_shown = float("-inf")
        self._show()

    def line(self) -> str:
        elapsed = self._clock() - self._started
        parts = [
            f"{self.done}/{self.total} done",
            f"{self.failed} failed (turn/time cap)",
            f"{self.errored} errored",
            f"{self.running} running",
            f"{self.tool_calls} tool calls in {self.turns} turns",
            f"${self.spent_usd:.4f} spent",
            f"{_clock(elapsed)} elapsed",
        ]
        finished_now = self.done - self.already_done + self.errored
        remaining = self.total - self.done - self.errored
        if finished_now and remaining > 0:
            parts.append(f"~{_clock(elapsed / finished_now * remaining)} left")
        return "[corecraft run] " + " · ".join(parts)

    def _show(self, force: bool = False) -> None:
        now = self._clock()
        interval = 0.1 if self.interactive else self.log_interval_s
        if not force and now - self._last_shown < interval:
            return
        self._last_shown = now
        if self.interactive:
            self.stream.write(f"\r\x1b[K{self.line()}")
        else:
            self.stream.write(f"{self.line()}\n")
        self.stream.flush()

    def close(self) -> None:
        self._show(force=True)
        if self.interactive:
            self.stream.write("\n")
        self.stream.flush()
