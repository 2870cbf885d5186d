"""The check before any episode that an OpenAI-compatible server is there at all."""

from __future__ import annotations

import socket

import httpx2
import pytest

from harness.errors import ConfigurationError
from harness.providers.preflight import check_server


async def test_a_server_that_listens_but_never_answers_fails_within_the_check_timeout():
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        with pytest.raises(ConfigurationError, match=rf"the model server at {url} did not answer GET /models within 0.2 s"):
            await check_server(url, timeout_s=0.2)


@pytest.mark.parametrize("status", [200, 401, 404])
async def test_any_http_answer_means_a_server_is_there(status):
    body = {"object": "list", "data": [{"id": "glm-4.6"}, {"id": "glm-4.6-air"}]}
    asked: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        asked.append(f"{request.method} {request.url.path}")
        return httpx2.Response(status, json=body)

    found = await check_server("http://gpu-box:8000/v1/", transport=httpx2.MockTransport(answer))
    assert asked == ["GET /v1/models"]
    assert found.status == status
    assert found.models == (["glm-4.6", "glm-4.6-air"] if status == 200 else [])
    assert found.lists("glm-4.6") and (found.lists("qwen") is (status != 200))
