"""`jobfeed demo`: serve the bundled sample feeds from 127.0.0.1 so a newcomer sees real numbers offline."""

from __future__ import annotations

import functools
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from jobfeed import constants as C

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"  # jobfeed/samples, shipped as package data
SAMPLE_SUFFIXES = (".xml", ".json")
HOST = "127.0.0.1"  # loopback only: the demo server is for this machine


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files with Last-Modified / If-Modified-Since (so a re-run is `not_modified`), no access log."""

    # not ClassVar (RUF012): typeshed declares the base's table as an instance variable, and mypy rejects the change
    extensions_map = {  # noqa: RUF012
        **SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/rss+xml",
        ".json": "application/json",
    }

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def serve_samples(directory: Path = SAMPLES_DIR, port: int = C.DEMO_HTTP_PORT) -> Iterator[Path]:
    """Serve `directory` on 127.0.0.1 and yield a feeds.yaml listing every sample feed in it."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        server = ThreadingHTTPServer((HOST, port), handler)
    except OSError:  # the port is taken (a second demo?): any free port still gives real numbers
        server = ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="jobfeed-demo-http", daemon=True)
    thread.start()
    bound_port = server.server_port  # not server_address: that is typed for every address family
    try:
        with tempfile.TemporaryDirectory(prefix="jobfeed-demo-") as tmp:
            feeds = [
                {"url": f"http://{HOST}:{bound_port}/{path.name}", "name": f"sample-{path.stem}"}
                for path in sorted(directory.iterdir())
                if path.suffix in SAMPLE_SUFFIXES
            ]
            feeds_file = Path(tmp) / "feeds.yaml"
            feeds_file.write_text(yaml.safe_dump({"feeds": feeds}, sort_keys=False), encoding="utf-8")
            yield feeds_file
    finally:
        server.shutdown()
        server.server_close()
