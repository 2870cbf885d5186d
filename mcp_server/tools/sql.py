"""Small helpers for building parameterised WHERE clauses. Column names are always literals
written in tool code; only values travel as parameters."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def limit_field(default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> Any:
    return Annotated[int, Field(ge=1, le=maximum, description=f"Maximum results to return (default {default}, at most {maximum})")]


class Where:
    """Collects AND-ed conditions and their parameters."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    @staticmethod
    def contains(text: str) -> str:
        """A LIKE pattern for ``text`` anywhere (its length was capped by ``arguments.MAX_TEXT_CHARS``)."""
        escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def equals(self, column: str, value: Any) -> None:
        if value is not None:
            self.add(f"{column} = ?", value)

    def like(self, column: str, text: str | None) -> None:
        """Case-insensitive substring match (SQLite LIKE is case-insensitive for ASCII)."""
        if text:
            self.add(f"{column} LIKE ? ESCAPE '\\'", self.contains(text))

    @property
    def sql(self) -> str:
        return ("WHERE " + " AND ".join(self.conditions)) if self.conditions else ""
