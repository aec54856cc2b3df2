"""The read API served for real: uvicorn on a free 127.0.0.1 port in a thread, talking to this test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.api_server import ApiServer


@pytest.fixture
def serve_api(db_name: str) -> Iterator[Callable[..., httpx.Client]]:
    """serve_api(settings=None, ui_settings=None) -> an httpx.Client on a freshly started API server."""
    from jobfeed.api.app import create_app

    servers: list[ApiServer] = []
    clients: list[httpx.Client] = []

    def _serve(**kwargs: Any) -> httpx.Client:
        server = ApiServer(create_app(**kwargs)).start()
        servers.append(server)
        clients.append(client := httpx.Client(base_url=server.url, timeout=30))
        return client

    yield _serve
    for client in clients:
        client.close()
    for server in servers:
        server.stop()
