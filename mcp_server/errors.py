"""The server side's exception hierarchy.

Everything an agent can cause and fix derives from ``WorldError``; its message is written for the
agent (what was wrong and what to do instead) and reaches it as an MCP tool error. Nothing else
reaches the agent: any other exception becomes a generic internal-error result.

    CoreCraftServerError
    ├── WorldError                 expected failures, shown to the agent
    │   ├── NotFoundError          an id that does not exist
    │   ├── InvalidArgumentError   a malformed or inconsistent argument (dates, quantities...)
    │   ├── InvalidStateError      the record is in a state that does not allow the change
    │   └── PolicyViolationError   the change is against company policy
    └── EpisodeError               episode routing: unknown, expired, or too many episodes
"""


class CoreCraftServerError(Exception):
    """Base of every error raised on purpose by the server."""


class WorldError(CoreCraftServerError):
    """An expected failure of a tool call; the message is shown to the agent."""


class NotFoundError(WorldError):
    """A referenced id does not exist in the world."""


class InvalidArgumentError(WorldError):
    """An argument is malformed or contradicts another argument."""


class InvalidStateError(WorldError):
    """The record's current state does not allow the requested change."""


class PolicyViolationError(WorldError):
    """The requested change breaks company policy."""


class EpisodeError(CoreCraftServerError):
    """The episode a request names cannot be served (capacity reached, or closed)."""
