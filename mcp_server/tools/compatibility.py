"""validateBuildCompatibility: apply the compatibility_rules to the parts of a build or a product list.

Each rule row names its check (check_kind), its severity and, in params, the spec keys it compares;
the code here knows how each kind of check works and reads the keys from params (with the usual key
as fallback). Records are sometimes incomplete: a missing spec value is reported as "not checked"
for that part, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, Field

from mcp_server.errors import InvalidArgumentError, NotFoundError
from mcp_server.tools.records import json_object
from mcp_server.tools.runtime import fetch_all, fetch_one, world_tool

PC_PART_CATEGORIES = ("cpu", "motherboard", "gpu", "memory", "storage", "psu", "case", "cooling")
_PART_NOUN = {"cpu": "CPU", "gpu": "GPU", "psu": "PSU", "cooling": "CPU cooler", "memory": "memory kit"}


@dataclass
class Part:
    product_id: str
    name: str
    category: str
    specs: dict[str, Any]
    quantity: int

    @property
    def label(self) -> str:
        return f"{self.product_id} ({self.name})"

    def spec(self, key: str) -> Any:
        return self.specs.get(key)


class Issue(BaseModel):
    rule_id: str
    check_kind: str
    severity: str
    message: str
    product_ids: list[str]


class PartSummary(BaseModel):
    product_id: str
    name: str
    category: str
    quantity: int


class CompatibilityReport(BaseModel):
    compatible: bool = Field(description="True when no error was found (warnings allowed)")
    build_id: str | None
    parts: list[PartSummary]
    errors: list[Issue]
    warnings: list[Issue]
    rules_checked: list[str] = Field(description="Ids of the rules that were applied to at least one pair of parts")
    not_checked: list[str] = Field(description="Checks that could not run: a part type missing from the build, or a spec missing from a record")


@dataclass
class Checker:
    """One rule applied to the parts: collects issues and what could not be checked."""

    rule: dict[str, Any]
    params: dict[str, Any]
    by_category: dict[str, list[Part]]
    issues: list[Issue] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    applied: bool = False

    def parts(self, category: str) -> list[Part]:
        return self.by_category.get(category, [])

    def key(self, name: str, default: str) -> str:
        value = self.params.get(name)
        return value if isinstance(value, str) else default

    def need(self, *categories: str) -> bool:
        """True when every category is present; otherwise records why the rule was not checked."""
        missing = [c for c in categories if not self.parts(c)]
        if missing:
            names = " or ".join(_PART_NOUN.get(m, m) for m in missing)
            self.skipped.append(f"no {names} in the build: {self.rule['check_kind']} not checked")
        return not missing

    def value(self, part: Part, key: str) -> Any:
        found = part.spec(key)
        if found is None or found == "" or found == []:
            self.skipped.append(f"{part.label} has no {key} on record: {self.rule['check_kind']} not checked for it")
            return None
        return found

    def number(self, part: Part, key: str) -> float | None:
        found = self.value(part, key)
        if found is None:
            return None
        try:
            return float(found)
        except (TypeError, ValueError):
            self.skipped.append(f"{part.label} has a non-numeric {key} ({found!r}): {self.rule['check_kind']} not checked for it")
            return None

    def pairs(self, first: str, first_key: str, second: str, second_key: str, *, numeric: bool = False) -> Iterator[tuple[Part, Any, Part, Any]]:
        """Every (first, second) pair of parts with both values on record, with those values; marks the
        rule applied for each. A missing value is noted as not checked, never guessed."""
        read = self.number if numeric else self.value
        for a in self.parts(first):
            for b in self.parts(second):
                a_value, b_value = read(a, first_key), read(b, second_key)
                if a_value is None or b_value is None:
                    continue
                self.applied = True
                yield a, a_value, b, b_value

    def report(self, message: str, *parts: Part, severity: str | None = None) -> None:
        self.issues.append(
            Issue(
                rule_id=self.rule["id"], check_kind=self.rule["check_kind"], severity=severity or self.rule["severity"],
                message=message, product_ids=[p.product_id for p in parts],
            )
        )


def _fmt(value: float | None) -> str:
    return "?" if value is None else (str(int(value)) if float(value).is_integer() else str(value))


def check_socket(c: Checker) -> None:
    cpu_key, board_key = c.key("cpu_field", "socket"), c.key("board_field", "socket")
    cooler_key = c.key("cooler_field", "sockets")
    if c.parts("cpu") and c.parts("motherboard"):
        for cpu, cpu_socket, board, board_socket in c.pairs("cpu", cpu_key, "motherboard", board_key):
            if cpu_socket != board_socket:
                c.report(f"CPU {cpu.label} uses socket {cpu_socket} but motherboard {board.label} has socket {board_socket}", cpu, board)
    else:
        missing = " or ".join(_PART_NOUN.get(k, k) for k in ("cpu", "motherboard") if not c.parts(k))
        c.skipped.append(f"no {missing} in the build: CPU vs motherboard socket not checked")
    if not c.parts("cooling"):
        return
    hosts = c.parts("cpu") or c.parts("motherboard")
    if not hosts:
        c.skipped.append("no cpu or motherboard in the build: cooler socket support not checked")
        return
    for cooler in c.parts("cooling"):
        supported = c.value(cooler, cooler_key)
        if supported is None:
            continue
        for host in hosts:
            socket = c.value(host, cpu_key if host.category == "cpu" else board_key)
            if socket is None:
                continue
            c.applied = True
            if socket not in supported:
                c.report(f"cooler {cooler.label} supports sockets {', '.join(map(str, supported))}, not {socket} "
                         f"of {host.category} {host.label}", cooler, host)


def check_memory_type(c: Checker) -> None:
    if not c.need("memory", "motherboard"):
        return
    memory_key, board_key = c.key("memory_field", "memory_type"), c.key("board_field", "memory_type")
    for kit, kit_type, board, board_type in c.pairs("memory", memory_key, "motherboard", board_key):
        if kit_type != board_type:
            c.report(f"memory {kit.label} is {kit_type} but motherboard {board.label} takes {board_type}", kit, board)


def check_form_factor(c: Checker) -> None:
    if not c.need("motherboard", "case"):
        return
    board_key, case_key = c.key("board_field", "form_factor"), c.key("case_field", "supported_form_factors")
    for board, form, case, supported in c.pairs("motherboard", board_key, "case", case_key):
        if form not in supported:
            c.report(f"motherboard {board.label} is {form} but case {case.label} supports only "
                     f"{', '.join(map(str, supported))}", board, case)


def _fits(c: Checker, category: str, noun: str, part_key: str, case_key: str, limit_noun: str) -> None:
    if not c.need(category, "case"):
        return
    for part, size, case, limit in c.pairs(category, part_key, "case", case_key, numeric=True):
        if size > limit:
            c.report(f"{noun} {part.label} is {_fmt(size)} mm but case {case.label} allows at most "
                     f"{_fmt(limit)} mm {limit_noun}", part, case)


def check_gpu_length(c: Checker) -> None:
    _fits(c, "gpu", "GPU", c.key("gpu_field", "length_mm"), c.key("case_field", "max_gpu_length_mm"), "GPU length")


def check_cooler_height(c: Checker) -> None:
    _fits(c, "cooling", "cooler", c.key("cooler_field", "height_mm"), c.key("case_field", "max_cooler_height_mm"), "cooler height")


def check_psu_wattage(c: Checker) -> None:
    if not c.need("psu"):
        return
    if not c.parts("gpu") and not c.parts("cpu"):
        c.skipped.append("no GPU or CPU in the build: psu_wattage not checked")
        return
    rec_key = c.key("gpu_field", "recommended_psu_w")
    headroom = float(c.params.get("headroom_pct", 20))
    base = float(c.params.get("base_system_w", 75))
    warning = c.params.get("warning_severity", "warning")
    for psu in c.parts("psu"):
        watts = c.number(psu, "wattage")
        if watts is None:
            continue
        short = False
        for gpu in c.parts("gpu"):
            recommended = c.number(gpu, rec_key)
            if recommended is None:
                continue
            c.applied = True
            if watts < recommended:
                short = True
                c.report(f"PSU {psu.label} gives {_fmt(watts)} W but GPU {gpu.label} needs at least {_fmt(recommended)} W", psu, gpu)
        if short:
            continue  # already an error; the headroom warning would only repeat it
        draws = [(p, c.number(p, "tdp_w")) for p in [*c.parts("cpu"), *c.parts("gpu")]]
        if any(d is None for _, d in draws):
            continue
        estimate = base + sum(d * p.quantity for p, d in draws if d is not None)
        needed = estimate * (1 + headroom / 100)
        c.applied = True
        if watts < needed:
            c.report(
                f"PSU {psu.label} gives {_fmt(watts)} W; the estimated draw is {_fmt(estimate)} W (CPU and GPU TDP plus "
                f"{_fmt(base)} W for the rest), and {_fmt(headroom)} % headroom calls for {_fmt(round(needed))} W",
                psu, *(p for p, _ in draws), severity=str(warning),
            )


def check_memory_speed(c: Checker) -> None:
    if not c.need("memory", "motherboard"):
        return
    memory_key, board_key = c.key("memory_field", "speed_mhz"), c.key("board_field", "max_memory_speed_mhz")
    for kit, speed, board, limit in c.pairs("memory", memory_key, "motherboard", board_key, numeric=True):
        if speed > limit:
            c.report(f"memory {kit.label} is rated {_fmt(speed)} MHz but motherboard {board.label} supports at most "
                     f"{_fmt(limit)} MHz; it will run at {_fmt(limit)} MHz", kit, board)


def check_memory_slots(c: Checker) -> None:
    if not c.need("memory", "motherboard"):
        return
    modules_key, board_key = c.key("memory_field", "modules"), c.key("board_field", "memory_slots")
    counts = [(kit, c.number(kit, modules_key)) for kit in c.parts("memory")]
    if any(n is None for _, n in counts):
        return
    total = sum(n * kit.quantity for kit, n in counts if n is not None)
    for board in c.parts("motherboard"):
        slots = c.number(board, board_key)
        if slots is None:
            continue
        c.applied = True
        if total > slots:
            c.report(f"the memory kits add up to {_fmt(total)} modules but motherboard {board.label} has only "
                     f"{_fmt(slots)} memory slots", board, *(kit for kit, _ in counts))


def _drive_count(c: Checker, interface: str, board_key: str, noun: str) -> None:
    if not c.need("motherboard"):
        return
    drives = []
    for drive in c.parts("storage"):
        kind = c.value(drive, "interface")
        if kind == interface:
            drives.append(drive)
    if not drives:
        c.skipped.append(f"no {noun} drive in the build: nothing for {c.rule['check_kind']} to check")
        return
    total = sum(d.quantity for d in drives)
    for board in c.parts("motherboard"):
        ports = c.number(board, board_key)
        if ports is None:
            continue
        c.applied = True
        if total > ports:
            c.report(f"the build has {total} {noun} drives but motherboard {board.label} has only {_fmt(ports)} "
                     f"{noun} {'ports' if interface == 'sata' else 'slots'}", board, *drives)


def check_sata_ports(c: Checker) -> None:
    _drive_count(c, str(c.params.get("storage_interface", "sata")), c.key("board_field", "sata_ports"), "SATA")


def check_m2_slots(c: Checker) -> None:
    _drive_count(c, str(c.params.get("storage_interface", "m2")), c.key("board_field", "m2_slots"), "M.2")


CHECKS: dict[str, Callable[[Checker], None]] = {
    "socket": check_socket, "memory_type": check_memory_type, "form_factor": check_form_factor,
    "gpu_length": check_gpu_length, "cooler_height": check_cooler_height, "psu_wattage": check_psu_wattage,
    "memory_speed": check_memory_speed, "memory_slots": check_memory_slots, "sata_ports": check_sata_ports,
    "m2_slots": check_m2_slots,
}


@world_tool(name="validateBuildCompatibility", title="Validate build compatibility")
async def validateBuildCompatibility(
    build_id: Annotated[str | None, Field(description="A saved build to check, e.g. bld-0000 (give this or product_ids)")] = None,
    product_ids: Annotated[
        list[str] | None,
        Field(description="Products to check together (give this or build_id); repeat an id for several units", min_length=1, max_length=40),
    ] = None,
) -> CompatibilityReport:
    """Check whether PC parts work together, applying every compatibility rule: CPU and cooler
    sockets vs the motherboard, memory type and speed, memory slots, SATA ports and M.2 slots,
    motherboard form factor vs the case, GPU length and cooler height vs the case, PSU wattage vs the
    GPU's recommendation and the estimated draw. Give exactly one of build_id or product_ids.
    compatible is false when any error is found; warnings do not block. Checks that cannot run
    (a part type absent, or a spec missing from a record) are listed under not_checked."""
    if (build_id is None) == (product_ids is None):
        raise InvalidArgumentError("give exactly one of build_id or product_ids")
    if build_id is not None:
        if await fetch_one("SELECT id FROM builds WHERE id = ?", (build_id,)) is None:
            raise NotFoundError(f"no build with id {build_id!r}; find the customer's builds with searchBuilds")
        wanted = {r["product_id"]: int(r["quantity"]) for r in await fetch_all(
            "SELECT product_id, SUM(quantity) AS quantity FROM build_items WHERE build_id = ? GROUP BY product_id", (build_id,))}
    else:
        wanted = {}
        for product_id in product_ids or []:
            wanted[product_id] = wanted.get(product_id, 0) + 1
    marks = ", ".join("?" for _ in wanted)
    products = await fetch_all(f"SELECT id, name, category, specs FROM products WHERE id IN ({marks})", list(wanted)) if wanted else []
    found = {p["id"]: p for p in products}
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise NotFoundError(f"no product with id {', '.join(missing)}; find product ids with searchProducts")

    parts = [Part(p["id"], p["name"], p["category"], json_object(p["specs"]), wanted[p["id"]]) for p in products]
    by_category: dict[str, list[Part]] = {}
    for part in parts:
        by_category.setdefault(part.category, []).append(part)
    not_checked = [
        f"{p.label} is a {p.category}, not a PC part the rules cover: not checked"
        for p in parts if p.category not in PC_PART_CATEGORIES
    ]
    issues: list[Issue] = []
    checked: list[str] = []
    for rule in await fetch_all("SELECT * FROM compatibility_rules ORDER BY id"):
        check = CHECKS.get(rule["check_kind"])
        if check is None:
            not_checked.append(f"rule {rule['id']} has an unknown check kind {rule['check_kind']!r}: not checked")
            continue
        checker = Checker(rule=rule, params=json_object(rule["params"]), by_category=by_category)
        check(checker)
        issues.extend(checker.issues)
        not_checked.extend(s for s in checker.skipped if s not in not_checked)
        if checker.applied:
            checked.append(rule["id"])
    errors = [i for i in issues if i.severity == "error"]
    return CompatibilityReport(
        compatible=not errors, build_id=build_id,
        parts=[PartSummary(product_id=p.product_id, name=p.name, category=p.category, quantity=p.quantity) for p in parts],
        errors=errors, warnings=[i for i in issues if i.severity != "error"], rules_checked=checked, not_checked=not_checked,
    )
