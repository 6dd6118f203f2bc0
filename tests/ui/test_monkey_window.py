"""The random-action test of the real window, short: a few fixed seeds of seeded random user
actions (play, pause, phases, rewind, every edit, undo/redo, lessons, exports, imports) with the
invariants checked after each (tests/benchmarks/monkey_window.py; its long version stays a
script).  Each seed runs in its own process, as a fresh start of the app."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "monkey_window.py"
ACTIONS = 80


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_actions_break_no_invariant(seed, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MONKEY_NO_TIMING="1", HOME=str(tmp_path))
    env.pop("XDG_CONFIG_HOME", None)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(seed), str(ACTIONS)],
        cwd=SCRIPT.parents[2], env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    out = done.stdout
    problems = [line for line in out.splitlines() if line.startswith("PROBLEM")]
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"DONE seed={seed} actions={ACTIONS}" in out, out[-3000:] + done.stderr[-3000:]
    assert "problems=0" in out, "\n".join(problems)
