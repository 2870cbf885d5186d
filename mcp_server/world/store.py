"""The world's storage: committed data -> cached template database -> private episode copies.

The committed JSONL files under ``data/`` are the source of truth. They are loaded once into a
template SQLite database, cached on disk under a name derived from the content hash of the schema
and the data, and kept in memory as serialized bytes. The cached file is checked against a SHA-256
digest of its bytes kept beside it (``<name>.sha256``), so a cache edited by hand or cut short is
rebuilt rather than served; the check costs about 2.5 ms for the 5.1 MB image.

Two ways to open the image:

- ``connect_sync``/``connect``: a private, writable copy (deserialized bytes in a fresh in-memory
  connection: about 0.3 ms, plus about 1.4 ms on its first statement, which parses the schema).
- ``reader``: one shared, read-only connection per thread (``PRAGMA query_only``), its schema parsed
  once. Episodes read through it until their first write (mcp_server/inline_connection.py).

The image ends with ``SLACK_PAGES`` free pages, so that an episode's first writes reuse them:
SQLite's in-memory database doubles its buffer when it must grow, which would double the memory of
every episode that wrote a row that did not fit its page.

Every entity table carries triggers that record row-level changes in ``_changes``; that log is how
the audit trail, transcripts and graders see what an episode did to the world.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite

WORLD_DIR = Path(__file__).parent
SCHEMA_PATH = WORLD_DIR / "schema.sql"
DATA_DIR = WORLD_DIR / "data"
DEFAULT_CLOCK = "2025-09-15T14:00:00-04:00"  # 15 September 2025, 14:00 US Eastern (EDT)
SLACK_PAGES = 64  # free pages at the end of the image (256 KB at 4 KB pages); see the module docstring

# The spec's 14 entity types, and the other record types the backend keeps, mapped to tables.
ENTITY_TYPES: dict[str, str] = {
    "customers": "customers",
    "orders": "orders",
    "products": "products",
    "builds": "builds",
    "support_tickets": "support_tickets",
    "slas": "slas",
    "shipping_records": "shipments",
    "compatibility_rules": "compatibility_rules",
    "warranty_policies": "warranty_policies",
    "loyalty_tiers": "loyalty_tiers",
    "kb_articles": "kb_articles",
    "promotions": "promotions",
    "inventory_levels": "inventory",
    "company_policies": "company_policies",
}
SUPPORTING_TYPES: dict[str, str] = {
    "employees": "employees",
    "payments": "payments",
    "refunds": "refunds",
    "refund_lines": "refund_lines",
    "escalations": "escalations",
    "resolutions": "resolutions",
    "order_items": "order_items",
    "build_items": "build_items",
    "slack_channels": "slack_channels",
    "slack_messages": "slack_messages",
}

_INTERNAL_DDL = """
CREATE TABLE _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE _changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    op TEXT NOT NULL,          -- insert | update | delete
    before TEXT,               -- JSON row image, NULL for insert
    after TEXT                 -- JSON row image, NULL for delete
);
"""


class WorldDataError(Exception):
    """The committed world data or schema cannot be loaded (a developer error, not an agent's)."""


def entity_tables(conn: sqlite3.Connection) -> list[str]:
    """All world tables (internal ``_``-prefixed tables and SQLite's own excluded)."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")').fetchall()]


def _json_object_sql(prefix: str, columns: list[str]) -> str:
    pairs = ", ".join(f"'{c}', {prefix}.\"{c}\"" for c in columns)
    return f"json_object({pairs})"


def _change_triggers(conn: sqlite3.Connection) -> str:
    statements = []
    for table in entity_tables(conn):
        cols = table_columns(conn, table)
        new, old = _json_object_sql("NEW", cols), _json_object_sql("OLD", cols)
        statements.append(
            f'CREATE TRIGGER "_track_{table}_ins" AFTER INSERT ON "{table}" BEGIN '
            f"INSERT INTO _changes(tbl, row_id, op, before, after) VALUES ('{table}', NEW.id, 'insert', NULL, {new}); END;"
        )
        statements.append(
            f'CREATE TRIGGER "_track_{table}_upd" AFTER UPDATE ON "{table}" BEGIN '
            f"INSERT INTO _changes(tbl, row_id, op, before, after) VALUES ('{table}', NEW.id, 'update', {old}, {new}); END;"
        )
        statements.append(
            f'CREATE TRIGGER "_track_{table}_del" AFTER DELETE ON "{table}" BEGIN '
            f"INSERT INTO _changes(tbl, row_id, op, before, after) VALUES ('{table}', OLD.id, 'delete', {old}, NULL); END;"
        )
    return "\n".join(statements)


def data_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(data_dir.glob("*.jsonl"))


def content_hash(data_dir: Path = DATA_DIR, schema_path: Path = SCHEMA_PATH) -> str:
    """Hash of the schema, this module's trigger layout and every data file: the template's cache key."""
    digest = hashlib.sha256()
    for path in [schema_path, Path(__file__), *data_files(data_dir)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _load_rows(conn: sqlite3.Connection, data_dir: Path) -> None:
    tables = set(entity_tables(conn))
    files = {p.stem: p for p in data_files(data_dir)}
    unknown = sorted(set(files) - tables)
    if unknown:
        raise WorldDataError(f"data files without a table in schema.sql: {unknown}")
    for table in entity_tables(conn):  # schema order is alphabetical; FKs are not enforced while loading
        path = files.get(table)
        if path is None:
            continue
        columns = table_columns(conn, table)
        rows: list[tuple[Any, ...]] = []
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                record = json.loads(line)
                extra = set(record) - set(columns)
                if extra:
                    raise WorldDataError(f"{path.name}:{line_no}: unknown columns {sorted(extra)}")
                rows.append(tuple(_to_sql(record.get(c)) for c in columns))
        placeholders = ", ".join("?" for _ in columns)
        try:
            conn.executemany(f'INSERT INTO "{table}" VALUES ({placeholders})', rows)
        except sqlite3.IntegrityError as exc:
            raise WorldDataError(f"{path.name}: {exc}") from exc


def _to_sql(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return int(value)
    return value


def build_template(data_dir: Path = DATA_DIR, schema_path: Path = SCHEMA_PATH) -> bytes:
    """Build the template database from schema and data; returns it serialized."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(schema_path.read_text(encoding="utf-8"))
        _load_rows(conn, data_dir)
        violations = conn.execute("PRAGMA foreign_key_check").fetchall()
        if violations:
            raise WorldDataError(f"foreign key violations in world data (first 5): {violations[:5]}")
        conn.executescript(_INTERNAL_DDL)
        conn.executescript(_change_triggers(conn))
        conn.execute("INSERT INTO _meta(key, value) VALUES ('clock', ?)", (DEFAULT_CLOCK,))
        conn.execute("INSERT INTO _meta(key, value) VALUES ('content_hash', ?)", (content_hash(data_dir, schema_path),))
        conn.commit()
        _add_free_pages(conn, SLACK_PAGES)
        return conn.serialize()
    finally:
        conn.close()


def _add_free_pages(conn: sqlite3.Connection, pages: int) -> None:
    """Grow the file by ``pages`` pages and leave them on the free list (no auto-vacuum reclaims them)."""
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("CREATE TABLE _slack (filler BLOB)")  # its root page, plus overflow pages for the blob
    conn.execute("INSERT INTO _slack VALUES (zeroblob(?))", ((pages - 2) * (page_size - 4),))
    conn.execute("DROP TABLE _slack")
    conn.commit()


def cache_dir() -> Path:
    configured = os.environ.get("CORECRAFT_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "corecraft"


@dataclass
class Template:
    """A loaded world template: serialized bytes plus what callers need to know about it."""

    image: bytes
    content_hash: str
    _readers: threading.local = field(default_factory=threading.local, init=False, repr=False, compare=False)

    def connect_sync(self, clock: str | None = None) -> sqlite3.Connection:
        """A private, writable in-memory copy (synchronous; used by graders, scripts and benchmarks)."""
        return _open_copy(self.image, clock)

    def reader(self) -> sqlite3.Connection:
        """This thread's shared, read-only connection to the template (opened on first use, kept for
        the life of the template). Never close it: every unwritten episode of the thread reads here."""
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None:
            conn = _open_reader(self.image)
            self._readers.conn = conn
        return conn

    async def connect(self, clock: str | None = None) -> aiosqlite.Connection:
        """A private, writable in-memory copy, wrapped for asyncio."""
        conn = aiosqlite.Connection(partial(_open_copy, self.image, clock), iter_chunk_size=64)
        await conn
        conn.row_factory = aiosqlite.Row
        return conn


def _open_reader(image: bytes) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    conn.deserialize(image)
    conn.execute("PRAGMA query_only = ON")  # any write fails (SQLITE_READONLY) before it changes a byte
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # parse the schema now, once
    return conn


def _open_copy(image: bytes, clock: str | None) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    conn.deserialize(image)
    conn.execute("PRAGMA foreign_keys = ON")
    if clock is not None:
        conn.execute("UPDATE _meta SET value = ? WHERE key = 'clock'", (clock,))
        conn.execute("DELETE FROM _changes")  # the clock is configuration, not an episode change
    return conn


_TEMPLATES: dict[str, Template] = {}


def load_template(data_dir: Path = DATA_DIR, schema_path: Path = SCHEMA_PATH) -> Template:
    """The template for the committed world, built once per content hash and cached on disk."""
    key = content_hash(data_dir, schema_path)
    cached = _TEMPLATES.get(key)
    if cached is not None:
        return cached
    path = cache_dir() / f"world-{key}.sqlite"
    image = _read_verified(path)
    if image is None:
        image = build_template(data_dir, schema_path)
        _write_atomically(path, image)
        _write_atomically(_digest_path(path), image_digest(image).encode())  # last: it vouches for the image
    template = Template(image=image, content_hash=key)
    _TEMPLATES[key] = template
    return template


def image_digest(image: bytes) -> str:
    return hashlib.sha256(image).hexdigest()


def _digest_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _read_verified(path: Path) -> bytes | None:
    """The cached image if its bytes match the digest written with it; None when either is missing,
    unreadable or different (a cache edited by hand, or cut short, must not become the world)."""
    try:
        image = path.read_bytes()
        expected = _digest_path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return image if image_digest(image) == expected else None


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs a rebuild next time


def world_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Row counts per entity type (the spec's 14 first, then the supporting records)."""
    counts: dict[str, int] = {}
    for name, table in {**ENTITY_TYPES, **SUPPORTING_TYPES}.items():
        counts[name] = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    return counts
