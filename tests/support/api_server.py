"""The read API served for real: uvicorn on a free 127.0.0.1 port in a thread (tests/api, tests/e2e)."""

from __future__ import annotations

import threading
import time
from typing import Any

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
