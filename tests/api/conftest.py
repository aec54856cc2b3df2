"""The read API served for real: uvicorn on a free 127.0.0.1 port in a thread, talking to this test's database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

START_TIMEOUT_S = 20


class ApiServer:
    """One uvicorn server in a daemon thread; stopped by `stop()`."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        from jobfeed.stack.procs import free_port

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="api-under-test", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"API did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


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
