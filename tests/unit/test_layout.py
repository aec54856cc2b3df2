"""The layout is the architecture: these tests read every module's imports and hold the rules of
docs/architecture.md (arrows only point down, no cycles, the pure core free of servers' clients)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("jobfeed", "tasks", "flows", "dashboard")
VOCABULARY = {
    "jobfeed",
    "jobfeed.models",
    "jobfeed.feedspec",
    "jobfeed.formats",
    "jobfeed.schedules",
    "jobfeed.reasons",
    "jobfeed.importlog",
    "jobfeed.logfields",
    "jobfeed.logcounts",
    "jobfeed.streams",
    "jobfeed.settings",
    "jobfeed.constants",
    "jobfeed.dates",
    "jobfeed.text",
    "jobfeed.redact",
    "jobfeed.feeds_config",
    "jobfeed.dupkey",
    "jobfeed.quality",
}
SERVER_CLIENTS = ("prefect", "streamlit", "pymongo", "bson", "redis", "prefect_redis")

# layer -> the first-party layers it must never import (design.md, docs/architecture.md)
FORBIDDEN = {
    "vocabulary": (
        "jobfeed.sources",
        "jobfeed.fetch",
        "jobfeed.pipeline",
        "jobfeed.store",
        "jobfeed.ops",
        "jobfeed.cli",
        "jobfeed.api",
        "jobfeed.stack",
        "tasks",
        "flows",
        "dashboard",
    ),
    "jobfeed.sources": (
        "jobfeed.fetch",
        "jobfeed.pipeline",
        "jobfeed.store",
        "jobfeed.ops",
        "jobfeed.cli",
        "jobfeed.api",
        "jobfeed.stack",
        "tasks",
        "flows",
        "dashboard",
    ),
    "jobfeed.fetch": (
        "jobfeed.sources",
        "jobfeed.pipeline",
        "jobfeed.store",
        "jobfeed.ops",
        "jobfeed.cli",
        "jobfeed.api",
        "jobfeed.stack",
        "tasks",
        "flows",
        "dashboard",
    ),
    "jobfeed.pipeline": (
        "jobfeed.store",
        "jobfeed.ops",
        "jobfeed.cli",
        "jobfeed.api",
        "jobfeed.stack",
        "tasks",
        "flows",
        "dashboard",
    ),
    "jobfeed.store": (
        "jobfeed.pipeline",
        "jobfeed.ops",
        "jobfeed.cli",
        "jobfeed.api",
        "jobfeed.stack",
        "tasks",
        "flows",
        "dashboard",
    ),
    "jobfeed.ops": ("jobfeed.cli", "jobfeed.api", "jobfeed.stack", "tasks", "flows", "dashboard"),
    # the stack starts the database server and, on `stack up`, creates the indexes through the store
    "jobfeed.stack": (
        "jobfeed.sources",
        "jobfeed.fetch",
        "jobfeed.pipeline",
        "jobfeed.ops",
        "jobfeed.cli",
        "jobfeed.api",
        "tasks",
        "flows",
        "dashboard",
    ),
    "tasks": ("flows", "jobfeed.cli", "jobfeed.api", "dashboard"),
    "flows": ("jobfeed.cli", "jobfeed.api", "dashboard"),
    "jobfeed.api": ("jobfeed.cli", "dashboard", "tasks", "flows"),
    "dashboard": ("jobfeed.cli", "jobfeed.api"),
    "jobfeed.cli": (),
}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


@cache
def _imports(path: Path) -> tuple[str, ...]:
    """Every module a file imports, at any depth of the file (late imports count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]  # `from pkg import module`
    return tuple(names)


def _layer(module: str) -> str:
    if module in VOCABULARY or module == "jobfeed.__main__":
        return "vocabulary" if module != "jobfeed.__main__" else "jobfeed.cli"
    for layer in sorted(FORBIDDEN, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    raise AssertionError(f"{module} belongs to no layer of docs/architecture.md")


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


MODULES = dict(_modules())


@pytest.mark.parametrize("module", sorted(MODULES))
def test_nothing_imports_upward(module: str) -> None:
    forbidden = FORBIDDEN[_layer(module)]
    wrong = sorted({name for name in _imports(MODULES[module]) if any(_under(name, f) for f in forbidden)})
    assert not wrong, f"{module} ({_layer(module)}) imports {wrong}"


@pytest.mark.parametrize(
    "module",
    sorted(m for m in MODULES if _layer(m) in {"vocabulary", "jobfeed.sources", "jobfeed.fetch", "jobfeed.pipeline"}),
)
def test_the_core_imports_no_server_client(module: str) -> None:
    wrong = sorted({n for n in _imports(MODULES[module]) if any(_under(n, c) for c in SERVER_CLIENTS)})
    if _layer(module) == "jobfeed.sources":
        wrong += [n for n in _imports(MODULES[module]) if _under(n, "httpx")]
    assert not wrong, f"{module} imports {wrong}"


def test_only_the_store_imports_pymongo_beyond_its_errors() -> None:
    # jobfeed.stack runs the local database server and pings it until it answers: a server harness, not a reader
    owners = ("jobfeed.store", "jobfeed.stack")
    wrong = {
        module: names
        for module, path in MODULES.items()
        if not any(_under(module, owner) for owner in owners)
        and (
            names := [
                n
                for n in _imports(path)
                if (_under(n, "pymongo") or _under(n, "bson")) and not _under(n, "pymongo.errors") and n != "pymongo"
            ]
        )
    }
    plain = {
        m
        for m, p in MODULES.items()
        if not any(_under(m, o) for o in owners)
        and "pymongo" in _imports(p)
        and not any(_under(n, "pymongo.errors") for n in _imports(p))
    }
    assert not wrong and not plain, (wrong, plain)


def test_no_import_cycle() -> None:
    graph = {m: {n for n in _imports(p) if n in MODULES and n != m} for m, p in MODULES.items()}
    for module, deps in graph.items():  # a package's own __init__ importing its submodules is not a cycle of design
        graph[module] = {n for n in deps if not module.startswith(n + ".")}
    seen: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for module in sorted(graph):
        if module not in seen:
            visit(module, [module])
    assert not cycles, cycles


@pytest.mark.parametrize("path", sorted((ROOT / "tasks").glob("*.py")), ids=lambda p: p.name)
def test_tasks_only_wrap(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 50, f"{path.name} has {lines} lines: logic belongs in jobfeed/pipeline/"


def test_every_test_module_imports_no_other_test_module() -> None:
    wrong = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        names = [n for n in _imports(path) if _under(n, "tests") and not _under(n, "tests.support")]
        if names:
            wrong[str(path.relative_to(ROOT))] = names
    assert not wrong, wrong


MAX_MODULE_LINES = 300  # the style guide: split a module by responsibility before it reaches ~300 lines
# Modules allowed over MAX_MODULE_LINES for now, each with the reason and the issue that will split it.
# Keep it empty: a module on this list that is back under the limit fails the test below too.
LONG_MODULES_ALLOWED: dict[str, str] = {}


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_grows_past_the_split_line() -> None:
    long = {m: n for m, p in MODULES.items() if (n := _lines(p)) > MAX_MODULE_LINES and m not in LONG_MODULES_ALLOWED}
    assert not long, (
        f"split these by responsibility (docs/architecture.md), they exceed {MAX_MODULE_LINES} lines: {long}"
    )
    stale = sorted(m for m in LONG_MODULES_ALLOWED if m not in MODULES or _lines(MODULES[m]) <= MAX_MODULE_LINES)
    assert not stale, f"no longer over {MAX_MODULE_LINES} lines: remove from LONG_MODULES_ALLOWED: {stale}"
