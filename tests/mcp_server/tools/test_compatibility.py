"""validateBuildCompatibility through the MCP client: every rule, incomplete records, arguments."""

from __future__ import annotations

import json
from typing import Any

from mcp import Client

from mcp_server.episodes import EpisodeRegistry
from mcp_server.server import build_server
from mcp_server.world.generator.builds import check_build
from tool_support import TEMPLATE, call_result, error_text, world_rows


async def validate(arguments: dict[str, Any]) -> Any:
    return await call_result("validateBuildCompatibility", arguments)


def products(category: str) -> list[dict[str, Any]]:
    rows = world_rows("SELECT id, name, category, specs FROM products WHERE category = ? ORDER BY id", (category,))
    return [{**dict(r), "specs": json.loads(r["specs"])} for r in rows]


async def test_every_saved_build_gets_the_verdict_the_rules_describe() -> None:
    """Cross-check against the generator's independent reading of the rule rows."""
    builds = world_rows("SELECT id FROM builds ORDER BY id")
    assert builds, "the world has no builds"
    registry = EpisodeRegistry(TEMPLATE)
    try:
        async with Client(build_server(registry=registry)) as client:
            for build in builds:
                rows = world_rows(
                    "SELECT p.id, p.category, p.specs, b.quantity FROM build_items b JOIN products p ON p.id = b.product_id WHERE b.build_id = ?",
                    (build["id"],),
                )
                expected_errors, expected_warnings = check_build(
                    [({"category": r["category"], "specs": json.loads(r["specs"])}, r["quantity"]) for r in rows]
                )
                report = (await client.call_tool("validateBuildCompatibility", {"build_id": build["id"]})).structured_content
                assert sorted({e["check_kind"] for e in report["errors"]}) == expected_errors, build["id"]
                assert sorted({w["check_kind"] for w in report["warnings"]}) == expected_warnings, build["id"]
                assert report["compatible"] is (not expected_errors)
    finally:
        await registry.close_all()


async def test_cpu_on_a_board_of_another_socket_is_an_error_naming_both_sockets() -> None:
    cpu = products("cpu")[0]
    board = next(b for b in products("motherboard") if b["specs"]["socket"] != cpu["specs"]["socket"])
    report = (await validate({"product_ids": [cpu["id"], board["id"]]})).structured_content
    assert report["compatible"] is False
    (error,) = [e for e in report["errors"] if e["check_kind"] == "socket"]
    assert cpu["specs"]["socket"] in error["message"] and board["specs"]["socket"] in error["message"]
    assert error["product_ids"] == [cpu["id"], board["id"]] and error["rule_id"] == "cmp-socket"


async def test_gpu_longer_than_the_case_allows_is_an_error_with_both_lengths() -> None:
    case = min(products("case"), key=lambda c: c["specs"]["max_gpu_length_mm"])
    gpu = max(products("gpu"), key=lambda g: g["specs"]["length_mm"])
    assert gpu["specs"]["length_mm"] > case["specs"]["max_gpu_length_mm"]
    report = (await validate({"product_ids": [gpu["id"], case["id"]]})).structured_content
    (error,) = [e for e in report["errors"] if e["check_kind"] == "gpu_length"]
    assert f"{gpu['specs']['length_mm']} mm" in error["message"] and f"{case['specs']['max_gpu_length_mm']} mm" in error["message"]


async def test_psu_below_the_gpu_recommendation_is_an_error() -> None:
    gpu = max(products("gpu"), key=lambda g: g["specs"]["recommended_psu_w"])
    psu = min(products("psu"), key=lambda p: p["specs"]["wattage"])
    report = (await validate({"product_ids": [gpu["id"], psu["id"]]})).structured_content
    assert [e["check_kind"] for e in report["errors"]] == ["psu_wattage"]
    assert report["warnings"] == []  # the headroom warning would only repeat the error


async def test_too_many_memory_modules_is_an_error_counting_repeated_ids() -> None:
    board = min(products("motherboard"), key=lambda b: b["specs"]["memory_slots"])
    kit = next(k for k in products("memory") if k["specs"]["memory_type"] == board["specs"]["memory_type"] and k["specs"]["modules"] >= 2)
    copies = board["specs"]["memory_slots"] // kit["specs"]["modules"] + 1
    report = (await validate({"product_ids": [board["id"], *[kit["id"]] * copies]})).structured_content
    assert "memory_slots" in [e["check_kind"] for e in report["errors"]]
    assert {p["product_id"]: p["quantity"] for p in report["parts"]}[kit["id"]] == copies


async def test_missing_part_types_are_listed_as_not_checked_and_do_not_block() -> None:
    cpu = products("cpu")[0]
    report = (await validate({"product_ids": [cpu["id"]]})).structured_content
    assert report["compatible"] is True and report["errors"] == []
    assert any("no motherboard" in note and "socket" in note for note in report["not_checked"])
    assert any("case" in note and "form_factor not checked" in note for note in report["not_checked"])


async def test_a_part_with_a_missing_spec_is_reported_not_checked_instead_of_failing() -> None:
    cpu = products("cpu")[0]
    board = next(b for b in products("motherboard") if b["specs"]["socket"] == cpu["specs"]["socket"])
    registry = EpisodeRegistry(TEMPLATE)
    try:
        episode = await registry.get("default")
        specs = {k: v for k, v in cpu["specs"].items() if k != "socket"}
        await episode.db.execute("UPDATE products SET specs = ? WHERE id = ?", (json.dumps(specs), cpu["id"]))
        await episode.db.commit()
        async with Client(build_server(registry=registry)) as client:
            result = await client.call_tool("validateBuildCompatibility", {"product_ids": [cpu["id"], board["id"]]})
    finally:
        await registry.close_all()
    report = result.structured_content
    assert any(f"{cpu['id']}" in note and "no socket on record" in note for note in report["not_checked"])
    assert "cmp-socket" not in report["rules_checked"]
    assert "cmp-memory_type" not in report["rules_checked"]  # no memory kit either


async def test_products_outside_the_rules_are_noted() -> None:
    monitor = products("monitor")[0]
    report = (await validate({"product_ids": [monitor["id"]]})).structured_content
    assert any("is a monitor" in note for note in report["not_checked"])


async def test_build_id_and_product_ids_are_mutually_exclusive() -> None:
    build = world_rows("SELECT id FROM builds LIMIT 1")[0]
    both = await validate({"build_id": build["id"], "product_ids": [products("cpu")[0]["id"]]})
    assert "exactly one of build_id or product_ids" in error_text(both)
    neither = await validate({})
    assert "exactly one of build_id or product_ids" in error_text(neither)


async def test_unknown_build_and_unknown_products_are_not_found() -> None:
    assert "no build with id 'bld-9999'" in error_text(await validate({"build_id": "bld-9999"}))
    assert "no product with id prd-9999" in error_text(await validate({"product_ids": ["prd-9999"]}))
