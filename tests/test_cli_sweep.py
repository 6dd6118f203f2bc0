"""``backprop-lab sweep``: the CSV, the progress, one-line errors with status 2, and Ctrl+C."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import cli
from simulator.project import Project
from simulator.project.sweep import CSV_COLUMNS, KEYS, Sweep, Variation
from tests.test_cli import REPO, XOR, assert_usage_error, final_values, run_cli


def run_python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def read_rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def without_wall_time(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "wall_s"} for row in rows]


def test_sweep_writes_one_row_per_variant_and_seed(tmp_path):
    out = tmp_path / "results.csv"
    result = run_cli(
        "sweep", XOR, "--vary", "lr=0.02,0.2", "--vary", "hidden=4,8x8", "--seeds", "2",
        "--steps", "30", "--workers", "2", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = read_rows(out)
    assert list(rows[0]) == ["lr", "hidden", *CSV_COLUMNS]
    assert [(r["lr"], r["hidden"], r["seed"], r["steps"]) for r in rows] == [
        (lr, hidden, seed, "30")
        for lr in ("0.02", "0.2")
        for hidden in ("4", "8x8")
        for seed in ("0", "1")
    ]
    assert all(float(r["wall_s"]) >= 0 and r["diverged_at_step"] == "" for r in rows)
    # The same numbers as the runner in this process, one job after the other.
    sweep = Sweep(
        Project.load(XOR),
        [Variation.parse("lr=0.02,0.2"), Variation.parse("hidden=4,8x8")],
        seeds=2,
        steps=30,
    )
    (tmp_path / "here.csv").write_text(sweep.csv(sweep.run(workers=1)), encoding="utf-8")
    assert without_wall_time(rows) == without_wall_time(read_rows(tmp_path / "here.csv"))
    # stderr is not a terminal: a first line, then a line at each quarter of the runs.
    progress = result.stderr.splitlines()
    assert progress[0] == "sweep: 8 runs (4 variants × 2 seeds) on 2 worker processes"
    assert [line.split()[1] for line in progress[1:]] == ["2/8", "4/8", "6/8", "8/8"]
    assert "\r" not in result.stderr
    summary = result.stdout.splitlines()
    assert summary[0].startswith("XOR: 8 runs (4 variants × 2 seeds)")
    assert len(summary) == 5 and summary[1].startswith("lr=0.02, hidden=4 ")


def test_a_row_is_what_train_prints_for_that_variant_and_seed(tmp_path):
    out, variant = tmp_path / "results.csv", tmp_path / "variant.json"
    result = run_cli(
        "sweep", XOR, "--vary", "optimizer=SGD,Adam", "--seeds", "2", "--steps", "25",
        "--workers", "1", "--quiet", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    row = read_rows(out)[1]  # SGD, seed 1
    assert (row["optimizer"], row["seed"]) == ("SGD", "1")
    # train of the variant's file with --seed 1 prints the same losses (to its 6 digits).
    project = Project.load(XOR)
    Sweep(project, [Variation.parse("optimizer=SGD")]).projects[0].save(variant)
    trained = run_cli("train", str(variant), "--seed", "1", "--steps", "25", "--quiet")
    assert trained.returncode == 0, trained.stderr
    printed = final_values(trained.stdout)
    assert printed["train_loss"] == float(f"{float(row['train_loss']):.6g}")
    assert printed["test_loss"] == float(f"{float(row['test_loss']):.6g}")
    assert printed["test_accuracy"] == round(100 * float(row["accuracy"]), 2)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--vary", "speed=1,2"], ["unknown key 'speed'"]),
        (["--vary", "lr=0.1,fast"], ["--vary lr=fast", "not a number"]),
        (["--vary", "hidden=8,8y8"], ["--vary hidden=8y8"]),
        (["--vary", "optimizer=Adam,Lion"], ["--vary optimizer=Lion", "known: SGD"]),
        (["--vary", "lr=0.1", "--vary", "lr=0.2"], ["--vary lr is given twice"]),
        (
            ["--vary", "lr=0.1", "--vary", "l2=0", "--vary", "l1=0"],
            ["one or two settings, not 3"],
        ),
        (
            ["--vary", "optimizer=Adam", "--vary", "momentum=0.5"],
            ["momentum=0.5 does not fit", "Adam has no parameter"],
        ),
        (["--vary", "lr=0.1", "--seeds", "0"], ["--seeds", "at least 1"]),
        (["--vary", "lr=0.1", "--workers", "2", "--scheduler", "tcp://h:1"], ["not allowed"]),
        (["--vary", "lr=0.1", "--scheduler", "nowhere"], ["--scheduler nowhere", "HOST:PORT"]),
        (
            ["--vary", "lr=0.1", "--scheduler", "tcp://[::1"],
            ["--scheduler tcp://[::1", "HOST:PORT"],
        ),
        (["--vary", "lr=0.1", "--scheduler", "tcp://[zz]:80"], ["tcp://[zz]:80", "HOST:PORT"]),
    ],
)
def test_bad_arguments_are_one_line_and_status_2(tmp_path, args, fragments):
    out = tmp_path / "out.csv"
    assert_usage_error(run_cli("sweep", XOR, *args, "--out", str(out)), *fragments)
    assert not out.exists()


def test_a_missing_out_or_project_is_one_line_and_status_2(tmp_path):
    assert_usage_error(run_cli("sweep", XOR, "--vary", "lr=0.1"), "--out")
    missing = str(tmp_path / "nope.json")
    out = str(tmp_path / "out.csv")
    assert_usage_error(run_cli("sweep", missing, "--vary", "lr=0.1", "--out", out), "nope.json")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_one_line_and_status_2(tmp_path):
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{closed_port()}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "sweep", XOR, "--vary", "lr=0.1",
         "--scheduler", address, "--out", str(tmp_path / "out.csv")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert_usage_error(result, f"cannot reach the Dask scheduler at {address}")


def test_a_missing_cluster_extra_is_one_line_and_status_2(tmp_path):
    out = str(tmp_path / "out.csv")
    code = (
        "import sys\n"
        "sys.modules['distributed'] = None  # as if the cluster extra were not installed\n"
        "from simulator.cli import main\n"
        f"sys.exit(main(['sweep', {XOR!r}, '--vary', 'lr=0.1', '--scheduler',"
        f" 'tcp://127.0.0.1:8786', '--out', {out!r}]))\n"
    )
    result = run_python(code)
    assert_usage_error(result, "needs Dask's distributed package", "backprop-lab[cluster]")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the processes from /proc")
def test_ctrl_c_cancels_cleanly_and_leaves_no_process(tmp_path):
    # A full-batch run (2,000 steps) beside a stochastic one (320,000 steps); Ctrl+C (SIGINT
    # to the whole process group, as a terminal sends it) once the first run is reported.
    out = tmp_path / "out.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "sweep", XOR, "--vary", "batch_size=full,1",
         "--epochs", "2000", "--workers", "2", "--out", str(out)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        # As from a terminal: a suite started in the background by a non-interactive shell
        # (a CI runner, nohup ... &) ignores SIGINT, and a child would inherit that and
        # run to the end (busy_suite.py saw exit 0 instead of 130).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        assert proc.stderr.readline().startswith("sweep: 2 runs")
        assert proc.stderr.readline().startswith("run 1/2 ( 50%)  batch_size=full, seed 0")
        group = processes_in_group(proc.pid)
        workers = [pid for pid, (parent, _) in group.items() if parent == proc.pid]
        assert len(workers) >= 2, group  # the pool's two (and a resource tracker, if spawned)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert stdout == ""
    assert stderr.splitlines() == ["backprop-lab: error: interrupted"]
    assert not out.exists()
    # Every worker was joined before the command exited.  Only multiprocessing's resource
    # tracker may still be there: it ends by itself once its parent has gone.
    trackers = {pid for pid, (_, command) in group.items() if "resource_tracker" in command}
    assert set(processes_in_group(proc.pid)) <= trackers


def processes_in_group(pgid: int) -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, command line)} of the processes of group ``pgid`` that still run
    (not those that exited and wait to be reaped by the container's init)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile
            continue
        state, parent, group = text[text.rindex(")") + 2 :].split()[:3]
        if int(group) == pgid and state != "Z":
            found[int(stat.parent.name)] = (int(parent), command)
    return found


def test_sweep_help_and_the_headless_path_without_qt_or_dask(tmp_path):
    result = run_cli("sweep", "--help")
    assert result.returncode == 0 and "--vary KEY=V1,V2" in result.stdout
    out = str(tmp_path / "out.csv")
    code = (
        "import sys\n"
        "from simulator.cli import main\n"
        f"status = main(['sweep', {XOR!r}, '--vary', 'lr=0.1,0.2', '--steps', '3', '--workers',"
        f" '1', '--quiet', '--out', {out!r}])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules}"
        " & {'PySide6', 'pyqtgraph', 'shiboken6', 'distributed', 'dask'})\n"
        "print(status, heavy)\n"
    )
    result = run_python(code)
    assert result.stdout.splitlines()[-1] == "0 []", result.stderr
    assert len(read_rows(Path(out))) == 2


def test_every_key_of_the_issue_is_there_and_the_cli_help_lists_them_all():
    issue = {"lr", "optimizer", "batch_size", "activation", "hidden", "init", "l2", "dropout"}
    assert issue <= set(KEYS)
    assert [k.strip() for k in cli._SWEEP_KEYS.split(",")] == list(KEYS)
