"""Episode ownership under load: many clients, each holding many episodes, try to reach each other's.

`corecraft serve --transport http --max-episodes 1100` runs with an admin token. CLIENTS clients,
concurrently, each open EPISODES_PER_CLIENT episodes (all open at once), make a write
(createEscalation, its notes naming the client and episode) and a read in each, and export each
one with its key. Then, knowing every id (learned from the admin listing, as an attacker might
from logs), each client goes at every other client's episodes without the admin token:

- export and DELETE with its own key; export with no key;
- a tools/call (a write) with its own key that names the other episode in ``_meta``
  (``corecraft/episode``) and in the retired ``X-CoreCraft-Episode`` header;
- a tools/call with the other episode's id sent as the key;
- and, once per client, listing without the admin token and with a wrong one.

An attempt succeeds if the server answers it with the episode (2xx, or a tool result), or if the
call shows up in the other client's audit. At the end each owner closes its episodes with DELETE
and checks the final exports: its own calls, plus the attack calls it sent with that key (which
must have landed in its own world), and nothing else. Any success is a failure of the bench.
"""

from __future__ import annotations

import asyncio
import os
import platform
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
from bench_support import (
    ADMIN_TOKEN_ENV,
    ServerProcess,
    admin_headers,
    call_failure,
    close_episode,
    key_headers,
    open_episode,
    open_ticket,
    percentiles,
    stateless_call,
)

from mcp_server.audit import META_EPISODE_KEY
from mcp_server.episodes import RETIRED_EPISODE_HEADER
from mcp_server.world.store import load_template

CLIENTS = 10
EPISODES_PER_CLIENT = 100
MAX_EPISODES = 1100
READ_TOOL = "searchTickets"
WRITE_TOOL = "createEscalation"
FOREIGN = "the audit holds another client's call:"
ATTEMPTS = ("export with own key", "DELETE with own key", "keyless export",
            "call with own key naming the other id", "call with the id as key", "listing without admin token")


def marker(client: int, target: str) -> str:
    """What a write's notes say, so an export shows whose call it holds (and, for attacks, which target)."""
    return f"bench client {client:02d} writes for {target}: ownership check"


@dataclass
class Owned:
    client: int
    index: int
    episode_id: str
    key: str
    attack_calls: int = 0  # attack calls sent with this episode's key that the server ran (they must land here)

    @property
    def label(self) -> str:
        return f"client-{self.client:02d}/episode-{self.index:03d}"


@dataclass
class Party:
    """One client: its episodes, what it measured, and what it saw."""

    number: int
    http: httpx2.AsyncClient
    owned: list[Owned] = field(default_factory=list)
    open_s: list[float] = field(default_factory=list)
    call_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    breaches: list[str] = field(default_factory=list)  # attempts that succeeded
    lost: list[str] = field(default_factory=list)  # own episodes gone before their owner closed them
    own_exports_ok: int = 0
    final_exports_ok: int = 0


async def open_all(party: Party, base: str, count: int) -> None:
    for index in range(count):
        start = time.perf_counter()
        episode_id, key = await open_episode(party.http, base, f"client-{party.number:02d}/episode-{index:03d}")
        party.open_s.append(time.perf_counter() - start)
        party.owned.append(Owned(party.number, index, episode_id, key))


async def raw_call(party: Party, url: str, tool: str, arguments: dict[str, Any], key: str,
                   extra_headers: dict[str, str] | None = None, extra_meta: dict[str, Any] | None = None) -> httpx2.Response:
    headers, body = stateless_call(tool, arguments, key, extra_meta)
    return await party.http.post(url, json=body, headers={**headers, **(extra_headers or {})})


async def work_in_each(party: Party, url: str, ticket: str) -> None:
    """A write and a read in each owned episode, timed."""
    for owned in party.owned:
        calls = [(WRITE_TOOL, escalation(ticket, marker(party.number, owned.episode_id))), (READ_TOOL, {"ticket_id": ticket})]
        for tool, arguments in calls:
            start = time.perf_counter()
            response = await raw_call(party, url, tool, arguments, owned.key)
            party.call_s.append(time.perf_counter() - start)
            if failure := call_failure(response.status_code, response.content):
                party.errors.append(f"{owned.label}: {tool}: {failure}")


def escalation(ticket: str, notes: str) -> dict[str, Any]:
    return {"ticket_id": ticket, "type": "technical", "notes": notes, "priority": "low"}


def own_calls_problem(export: dict[str, Any], owned: Owned, attack_calls: int) -> str | None:
    """Why an owner's export is not exactly its own calls (the write and read, then ``attack_calls``
    of its own attack writes), or None when it is."""
    if export.get("episode_id") != owned.episode_id or export.get("label") != owned.label:
        return f"{owned.label}: the export names {export.get('episode_id')} / {export.get('label')}"
    audit = export.get("audit", [])
    own_prefix = f"bench client {owned.client:02d} "
    for entry in audit:  # every write names its client: one naming another is a breach
        notes = str(entry["arguments"].get("notes", own_prefix))
        if not notes.startswith(own_prefix):
            return f"{owned.label}: {FOREIGN} {notes!r}"
    tools = [entry["tool"] for entry in audit]
    expected = [WRITE_TOOL, READ_TOOL] + [WRITE_TOOL] * attack_calls
    if tools != expected:
        return f"{owned.label}: the audit holds {dict(Counter(tools))}, expected {dict(Counter(expected))}"
    if audit[0]["arguments"].get("notes") != marker(owned.client, owned.episode_id):
        return f"{owned.label}: its write carries notes {audit[0]['arguments'].get('notes')!r}"
    if any(entry["is_error"] for entry in audit):
        return f"{owned.label}: a call in its audit failed"
    return None


async def export_own(party: Party, base: str) -> None:
    for owned in party.owned:
        response = await party.http.get(f"{base}/episodes/{owned.episode_id}/export", headers=key_headers(owned.key))
        if response.status_code != 200:
            party.errors.append(f"{owned.label}: its owner's export answered {response.status_code}: {response.text[:150]}")
        elif problem := own_calls_problem(response.json(), owned, 0):
            (party.breaches if FOREIGN in problem else party.errors).append(problem)
        else:
            party.own_exports_ok += 1


async def attack_others(party: Party, server: ServerProcess, victims: list[str], ticket: str) -> None:
    """Every way in this client has, at every episode that is not its own, without the admin token."""
    base, http = server.base, party.http

    def note(kind: str, succeeded: bool, detail: str) -> None:
        party.attempts[kind] += 1
        if succeeded:
            party.breaches.append(f"client {party.number:02d}: {kind}: {detail}")

    for number, victim in enumerate(victims):
        mine = party.owned[number % len(party.owned)]  # spread the attack calls over its own episodes
        response = await http.get(f"{base}/episodes/{victim}/export", headers=key_headers(mine.key))
        note("export with own key", response.is_success, f"GET /episodes/{victim}/export: {response.status_code}")
        response = await http.delete(f"{base}/episodes/{victim}", headers=key_headers(mine.key))
        note("DELETE with own key", response.is_success, f"DELETE /episodes/{victim}: {response.status_code}")
        response = await http.get(f"{base}/episodes/{victim}/export")
        note("keyless export", response.is_success, f"GET /episodes/{victim}/export: {response.status_code}")
        # Lands in this client's own episode (the key decides), or is refused; it must never reach the victim,
        # which the victim's final export shows.
        response = await raw_call(party, server.url, WRITE_TOOL, escalation(ticket, marker(party.number, victim)), mine.key,
                                  extra_headers={RETIRED_EPISODE_HEADER: victim}, extra_meta={META_EPISODE_KEY: victim})
        mine.attack_calls += call_failure(response.status_code, response.content) is None
        note("call with own key naming the other id", False, "")
        response = await raw_call(party, server.url, WRITE_TOOL, escalation(ticket, marker(party.number, victim)), victim)
        note("call with the id as key", call_failure(response.status_code, response.content) is None, f"tools/call keyed by {victim}: {response.text[:150]}")
    for headers in ({}, admin_headers("not-the-admin-token")):
        response = await http.get(f"{base}/episodes", headers=headers)
        note("listing without admin token", response.is_success, f"GET /episodes: {response.status_code}")


async def close_own(party: Party, base: str) -> None:
    """DELETE each owned episode with its key; its final export must be its own calls and nothing else."""
    for owned in party.owned:
        try:
            export = await close_episode(party.http, base, owned.episode_id, owned.key)
        except RuntimeError as exc:  # gone already: someone else closed it (that DELETE is counted as it succeeded)
            party.lost.append(f"client {party.number:02d}: {owned.label} could not be closed by its owner: {exc}")
            continue
        problem = own_calls_problem(export, owned, owned.attack_calls)
        if problem and FOREIGN in problem:
            party.breaches.append(f"client {party.number:02d}: {problem}")
        elif problem:
            party.errors.append(problem)
        else:
            party.final_exports_ok += 1


async def run_parties(parties: list[Party], step: Callable[..., Awaitable[None]], *args: Any) -> float:
    """Every client through one step at once; the wall time of the slowest."""
    start = time.perf_counter()
    await asyncio.gather(*(step(party, *args) for party in parties))
    return time.perf_counter() - start


async def bench_ownership(clients: int = CLIENTS, per_client: int = EPISODES_PER_CLIENT) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)
    ticket = open_ticket(load_template())
    max_episodes = max(MAX_EPISODES, clients * per_client + 100)
    server = ServerProcess("--max-episodes", str(max_episodes), env={ADMIN_TOKEN_ENV: token})
    limits = httpx2.Limits(max_connections=4, max_keepalive_connections=4)
    async with server:
        rss_idle = server.rss_mb()
        parties = [Party(number, httpx2.AsyncClient(timeout=60, limits=limits)) for number in range(clients)]
        try:
            open_wall = await run_parties(parties, open_all, server.base, per_client)
            rss_open = server.rss_mb()
            calls_wall = await run_parties(parties, work_in_each, server.url, ticket)
            rss_called = server.rss_mb()
            await run_parties(parties, export_own, server.base)
            async with httpx2.AsyncClient(timeout=60, headers=admin_headers(token)) as admin:
                listing = (await admin.get(f"{server.base}/episodes")).json()["episodes"]
            ids = [row["episode_id"] for row in listing]
            own_ids = [{owned.episode_id for owned in party.owned} for party in parties]
            victims = [[i for i in ids if i not in mine] for mine in own_ids]
            start = time.perf_counter()
            await asyncio.gather(*(attack_others(party, server, theirs, ticket) for party, theirs in zip(parties, victims, strict=True)))
            attack_wall = time.perf_counter() - start
            rss_attacked = server.rss_mb()
            close_wall = await run_parties(parties, close_own, server.base)
            async with httpx2.AsyncClient(timeout=10) as http:
                left_open = (await http.get(f"{server.base}/healthz")).json()["episodes"]
        finally:
            for party in parties:
                await party.http.aclose()
    opened = sum(len(party.owned) for party in parties)
    attempts = sum((party.attempts for party in parties), Counter())
    breaches = [breach for party in parties for breach in party.breaches]
    errors = [error for party in parties for error in party.errors]
    lost = [entry for party in parties for entry in party.lost]
    per_episode = round((rss_open - rss_idle) / opened, 2) if rss_open and rss_idle and opened else None
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "server": f"corecraft serve --transport http --max-episodes {max_episodes} (admin token set)",
        "clients": clients,
        "episodes_per_client": per_client,
        "episodes_opened": opened,
        "episodes_listed_by_admin": len(ids),
        "open_wall_s": round(open_wall, 3),
        "post_episodes": percentiles([s for party in parties for s in party.open_s]),
        "calls": percentiles([s for party in parties for s in party.call_s]),
        "calls_wall_s": round(calls_wall, 3),
        "rss_mb": {"idle": rss_idle, "episodes_open": rss_open, "after_calls": rss_called, "after_attacks": rss_attacked},
        "rss_mb_per_episode": per_episode,
        "own_exports_ok": sum(party.own_exports_ok for party in parties),
        "cross_client_attempts": dict(attempts),
        "cross_client_attempts_total": sum(attempts.values()),
        "attack_calls_landed_in_own_episode": sum(o.attack_calls for party in parties for o in party.owned),
        "attack_wall_s": round(attack_wall, 3),
        "cross_client_successes": len(breaches),
        "first_successes": breaches[:10],
        "final_exports_ok": sum(party.final_exports_ok for party in parties),
        "episodes_lost_to_others": len(lost),
        "close_wall_s": round(close_wall, 3),
        "episodes_left_open": left_open,
        "errors": len(errors),
        "first_errors": (lost + errors)[:5],
    }


def report_ownership(results: dict[str, Any]) -> str:
    machine, opened = results["machine"], results["episodes_opened"]
    pair = lambda p: f"p50 {p['p50_ms']:.2f} ms, p99 {p['p99_ms']:.2f} ms"  # noqa: E731
    rss = results["rss_mb"]
    attempts = results["cross_client_attempts"]
    rows = [
        ("episodes opened", f"{opened} ({results['clients']} clients x {results['episodes_per_client']}, all open at once) "
                            f"in {results['open_wall_s']} s; POST /episodes {pair(results['post_episodes'])}"),
        ("tool calls (a write + a read each)", f"{results['calls']['n']} in {results['calls_wall_s']} s; {pair(results['calls'])}"),
        ("server RSS", f"idle {rss['idle']} MB; {opened} open {rss['episodes_open']} MB "
                       f"({results['rss_mb_per_episode']} MB per episode); after calls {rss['after_calls']} MB; "
                       f"after attacks {rss['after_attacks']} MB"),
        ("own exports, exactly own calls", f"{results['own_exports_ok']} / {opened}"),
        ("cross-client attempts", f"{results['cross_client_attempts_total']} in {results['attack_wall_s']} s"),
        *((f"  {kind}", str(attempts.get(kind, 0))) for kind in ATTEMPTS),
        ("attempts that succeeded", str(results["cross_client_successes"])),
        ("final exports (owner's DELETE) intact", f"{results['final_exports_ok']} / {opened}; own-key attack calls found "
                                                  f"in the attacker's own episodes: {results['attack_calls_landed_in_own_episode']}"),
        ("episodes their owner could not close", str(results["episodes_lost_to_others"])),
        ("episodes left open", str(results["episodes_left_open"])),
        ("other errors", str(results["errors"])),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"Episode ownership: {results['server']} (Python {machine['python']}, {machine['cpus']} CPUs)", ""]
    lines += [f"  {name:{width}s}  {value}" for name, value in rows]
    lines += [f"    {line}" for line in results["first_successes"] + results["first_errors"]]
    return "\n".join(lines)


def ownership_failed(results: dict[str, Any]) -> bool:
    opened = results["episodes_opened"]
    return bool(results["cross_client_successes"] or results["errors"] or results["episodes_lost_to_others"]
                or results["own_exports_ok"] != opened or results["final_exports_ok"] != opened)
