"""Seal the network of every Python process the tests start (see tests/support/netseal.py).

tests/conftest.py puts this directory first on PYTHONPATH and sets JOBFEED_TEST_NETSEAL=1, so the
Prefect server and workers, secantusd-py, the `jobfeed` CLI and scripts the tests run can reach
127.0.0.0/8 and ::1 only, and resolve only the test names. A process started without that
environment (or with `python -I`/`-S`) is not sealed. The seal module is loaded by path: these
processes may not have the repository on sys.path.
"""

import os

if os.environ.get("JOBFEED_TEST_NETSEAL") == "1":
    import importlib.util
    import sys
    from pathlib import Path

    _path = Path(__file__).resolve().parent.parent / "netseal.py"
    _spec = importlib.util.spec_from_file_location("_jobfeed_test_netseal", _path)
    if _spec is None or _spec.loader is None:  # never unsealed in silence
        raise ImportError(f"cannot load the test network seal from {_path}")
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = _module
    _spec.loader.exec_module(_module)
    _module.seal()
