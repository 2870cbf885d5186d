"""The harness side's exception hierarchy.

    HarnessError
    ├── ConfigurationError        bad model name, missing API key, bad flags: fail before any episode
    ├── ProviderError             a model provider call failed
    │   ├── RetryableProviderError   429, 5xx, timeouts, dropped connections (retry with backoff)
    │   ├── FatalProviderError       4xx other than 429, retries exhausted
    │   └── MalformedReplyError      the provider answered, but not in its documented shape
    ├── EpisodeInfrastructureError  the MCP connection or server failed: the episode is an infra error
    ├── TaskFormatError           a task or rubric file does not parse (carries path and field)
    ├── ManifestMismatchError     resuming a run whose manifest differs
    └── GradingError              a transcript cannot be graded (judge failure -> ungraded)
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""


class ConfigurationError(HarnessError):
    """The user's configuration cannot work; reported before any episode starts."""


class ProviderError(HarnessError):
    """A model provider call failed."""


class RetryableProviderError(ProviderError):
    """A transient provider failure; ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class FatalProviderError(ProviderError):
    """A provider failure that retrying will not fix."""


class MalformedReplyError(ProviderError):
    """The provider's reply could not be understood."""


class EpisodeInfrastructureError(HarnessError):
    """The MCP connection or server failed during an episode."""


class TaskFormatError(HarnessError):
    """A task or rubric file is malformed."""


class ManifestMismatchError(HarnessError):
    """An output directory holds a run with a different manifest."""


class GradingError(HarnessError):
    """A transcript cannot be graded."""
