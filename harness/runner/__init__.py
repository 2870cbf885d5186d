"""Running many episodes: scheduling, resume, the manifest, the transcript file and progress."""

from harness.runner.runner import RunConfig, RunSummary, execute_run

__all__ = ["RunConfig", "RunSummary", "execute_run"]
