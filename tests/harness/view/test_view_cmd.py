from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from view_support import BASELINE, CHALLENGER, write_run

from harness.cli.main import main
from harness.view.server import ReportServer


def test_view_writes_one_html_file_into_the_run_and_prints_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "run", BASELINE, damaged_line=True)
    assert main(["view", str(run)]) == 0
    out, err = capsys.readouterr()
    assert (run / "view.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"wrote {run / 'view.html'}" in out
    assert "skipped damaged line 2" in err


def test_view_of_several_runs_writes_a_comparison_beside_the_baseline_or_where_asked(tmp_path: Path) -> None:
    first, second = write_run(tmp_path / "a", BASELINE), write_run(tmp_path / "b", CHALLENGER)
    assert main(["view", str(first), str(second)]) == 0
    assert 'id="compare"' in (first / "view-compare.html").read_text(encoding="utf-8")
    assert main(["view", str(first), str(second), "--out", str(tmp_path / "out" / "cmp.html")]) == 0
    assert (tmp_path / "out" / "cmp.html").exists()


def test_view_of_a_directory_that_is_not_a_run_exits_2_saying_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", str(tmp_path)]) == 2
    assert "neither transcripts.jsonl nor grades.jsonl" in capsys.readouterr().err


@pytest.fixture
def server() -> Iterator[ReportServer]:
    served = ReportServer(b"<!DOCTYPE html><p>report</p>")
    thread = threading.Thread(target=served.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.server_close()


def _get(server: ReportServer, path: str, host: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
    connection.request("GET", path, headers={"Host": host} if host else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_the_server_listens_on_loopback_and_serves_only_the_report(server: ReportServer) -> None:
    assert server.server_address[0] == "127.0.0.1" and server.url.startswith("http://127.0.0.1:")
    assert _get(server, "/") == (200, b"<!DOCTYPE html><p>report</p>")
    assert _get(server, "/../transcripts.jsonl")[0] == 404


def test_the_server_refuses_a_host_it_does_not_know(server: ReportServer) -> None:
    assert _get(server, "/", host="attacker.example")[0] == 403
