from harness.tasks.entities import ids_in, table_of_id


def test_an_id_is_recognised_by_its_prefix() -> None:
    assert table_of_id("ord-250830-110") == "orders"
    assert table_of_id("cus-00042") == "customers"


def test_free_text_that_starts_with_an_id_is_not_an_id() -> None:
    assert table_of_id("ord-250327-332 (late delivery)") is None
    assert list(ids_in({"notes": "tkt-00001: customer says it arrived broken"})) == []


def test_ids_are_found_inside_nested_arguments() -> None:
    found = list(ids_in({"lines": [{"order_item_id": "oli-000001"}], "ticket_id": "tkt-00001", "qty": 2}))
    assert sorted(found) == ["oli-000001", "tkt-00001"]
