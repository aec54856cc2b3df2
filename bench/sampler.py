"""Where a `jobfeed import` spends its time: a sampling profiler over every thread, grouped by stage.

`python -m bench.sampler OUT.json -- import --feeds-file F --json` runs the jobfeed CLI in this
process while a thread samples every thread's stack each few ms. Deterministic profilers (cProfile)
see only the thread that enabled them, and Prefect runs tasks in worker threads; pyinstrument is
not a dependency. Each sample goes to one group (imports, fetch, parse, normalize, HTML->text, spool
files, snapshot, DB, locks, Prefect, CLI/other) and is weighted by the CPU time that thread used since the last sample (Linux
per-thread CPU clocks), so a thread asleep in C costs nothing wherever its stack points.

Groups are reliable; single functions less so: the sampler runs when it gets the GIL, so samples
cluster where threads release it (hashing, socket I/O) and the CPU a thread burnt just before (in a
regex, say) lands on the function after it, usually in the same group.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parents[1]
INTERVAL_S = 0.005  # 200 Hz: enough samples for a 10 s run, ~1-3 % overhead
MAX_SAMPLES = 400_000  # bounds memory and time for a runaway run (~30 min at 200 Hz)
PROJECT_GROUPS = (  # path fragment of project code -> group; the first match wins (layout of 59ddd95 on)
    ("jobfeed/fetch/", "fetch"), ("jobfeed/sources/", "parse"), ("jobfeed/pipeline/normalize", "normalize"),
    ("jobfeed/dates", "normalize"), ("jobfeed/dupkey", "normalize"), ("jobfeed/text", "HTML->text"),
    ("jobfeed/pipeline/spool", "spool files"), ("jobfeed/pipeline/snapshot", "snapshot"),
    ("jobfeed/pipeline/lifecycle", "snapshot"), ("jobfeed/store/snapshots", "snapshot"),
    ("jobfeed/store/", "DB"), ("jobfeed/ops/locks", "locks (Redis)"),
)  # fmt: skip
PROJECT_DIRS = ("/jobfeed/", "/tasks/", "/flows/")
IDLE_FRAMES = {  # innermost Python frame of a thread blocked in C: waiting, not working
    ("threading.py", "wait"), ("threading.py", "_wait_for_tstate_lock"), ("threading.py", "join"),
    ("queue.py", "get"), ("selectors.py", "select"), ("thread.py", "_worker"), ("_base.py", "as_completed"),
    ("_base.py", "result"), ("base_events.py", "_run_once"),
}  # fmt: skip


def _short(filename: str) -> str:
    """Path from the package on (site-packages/..., stdlib/..., or the repo) for a readable report."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    if "/lib/python3" in filename:
        return "stdlib/" + filename.split("/lib/python3", 1)[1].split("/", 1)[-1]
    if str(REPO) in filename:
        return filename.split(str(REPO) + "/", 1)[-1]
    return filename


def classify(frame: FrameType | None) -> tuple[str, str]:
    """(group, innermost function) of one thread's stack."""
    if frame is None:
        return "idle", "-"
    code = frame.f_code
    leaf = f"{_short(code.co_filename)}:{code.co_name}"
    if (code.co_filename.rsplit("/", 1)[-1], code.co_name) in IDLE_FRAMES:
        return "idle", leaf
    seen_prefect = seen_mongo = False
    current: FrameType | None = frame
    for _ in range(400):  # deep Prefect/asyncio stacks are ~100 frames; bounded anyway
        if current is None:
            break
        name = current.f_code.co_filename
        if "importlib._bootstrap" in name:
            return "imports", leaf
        if any(d in name for d in PROJECT_DIRS) and "site-packages" not in name:
            if seen_prefect:
                return "Prefect", leaf  # project code calling into Prefect (submit, states, logging)
            for fragment, group in PROJECT_GROUPS:
                if fragment in name:
                    return group, leaf
            return "CLI/other", leaf
        seen_prefect |= "/prefect/" in name
        seen_mongo |= "/pymongo/" in name or "/bson/" in name
        current = current.f_back
    if seen_prefect:
        return "Prefect", leaf
    if seen_mongo:
        return "DB", leaf
    return "CLI/other", leaf


def _thread_cpu_s(native_id: int) -> float | None:
    """CPU seconds a thread has used (Linux MAKE_THREAD_CPUCLOCK), None once it has exited."""
    try:
        return time.clock_gettime(((~native_id) << 3) | 6)
    except OSError:
        return None


class Sampler:
    """Samples every other thread's stack every INTERVAL_S until stopped; weights by CPU used."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()  # CPU seconds by group
        self.wall: Counter[str] = Counter()  # samples by group, blocked threads included (as "idle")
        self.leaves: Counter[tuple[str, str]] = Counter()  # CPU seconds by (group, innermost function)
        self.ticks = 0
        self._last_cpu: dict[int, float] = {}
        self._native: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_loop, name="bench-sampler", daemon=True)

    def _sample_loop(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(INTERVAL_S) and self.ticks < MAX_SAMPLES:
            self.ticks += 1
            frames = sys._current_frames()
            if any(ident not in self._native for ident in frames):
                self._native = {t.ident: t.native_id for t in threading.enumerate() if t.ident and t.native_id}
            for ident, frame in frames.items():
                if ident == me or ident not in self._native:
                    continue
                group, leaf = classify(frame)
                self.wall[group] += 1
                used = _thread_cpu_s(self._native[ident])
                if used is None:
                    continue
                delta = used - self._last_cpu.get(ident, used)
                self._last_cpu[ident] = used
                self.cpu[group] += delta
                self.leaves[(group, leaf)] += delta

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def main() -> None:
    """Profile one CLI invocation and write the grouped samples as JSON."""
    out = Path(sys.argv[1])
    argv = sys.argv[sys.argv.index("--") + 1 :]
    started = time.perf_counter()
    code: int | str | None = 0
    with Sampler() as sampler:
        sys.argv = ["jobfeed", *argv]
        from jobfeed.cli import app  # imported under the sampler: import time is part of the cost

        try:
            app(prog_name="jobfeed")
        except SystemExit as exc:
            code = exc.code
    wall = time.perf_counter() - started
    per_sample = wall / max(sampler.ticks, 1)  # real spacing of samples (the GIL stretches it)
    report = {
        "wall_s": round(wall, 3),
        "exit_code": code,
        "samples": sampler.ticks,
        "cpu_s": {g: round(v, 3) for g, v in sampler.cpu.most_common()},
        "thread_wall_s": {g: round(n * per_sample, 3) for g, n in sampler.wall.most_common()},
        "top": [{"group": g, "function": f, "cpu_s": round(v, 3)} for (g, f), v in sampler.leaves.most_common(80)],
    }
    out.write_text(json.dumps(report, indent=1))
    sys.exit(code if isinstance(code, int) else 1)


if __name__ == "__main__":
    main()
