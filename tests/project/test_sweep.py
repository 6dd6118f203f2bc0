"""The sweep runner: variants built as a loaded file would be, each run equal to ``train`` of
that variant, the same numbers in this process, in a pool of processes and on a Dask cluster,
and cancelling that leaves no process behind."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from simulator import cli
from simulator.project import Project, load_example
from simulator.project.sweep import (
    CSV_COLUMNS,
    HISTORY_COLUMNS,
    Sweep,
    SweepError,
    Variation,
    mean_curve,
    run_job,
    variant_project,
)

REPO = Path(__file__).resolve().parents[2]
XOR = load_example("xor")
STEPS = 40


def sine_project() -> Project:
    """A small regression project (no accuracy) that SGD with a huge rate makes diverge."""
    d = XOR.to_dict()
    d.update(name="Sine", loss="mse")
    d["network"].update(sizes=[1, 6, 1], activations=["tanh", "linear"])
    d["data"].update(dataset="sine", n_samples=40, features=[])
    d["optimizer"] = {"name": "SGD", "params": {"lr": 0.05}}
    return Project.from_dict(d)


def same(a, b) -> bool:
    """Equal floats, NaN equal to NaN (the numbers must agree bit for bit)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def assert_same_results(results, reference) -> None:
    got = sorted(results, key=lambda r: r.index)
    want = sorted(reference, key=lambda r: r.index)
    assert [r.index for r in got] == [r.index for r in want]
    for a, b in zip(got, want):
        assert (a.variant, a.seed, a.steps) == (b.variant, b.seed, b.steps)
        for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            assert same(getattr(a, name), getattr(b, name)), (a, name)
        assert a.diverged == b.diverged
        for column in HISTORY_COLUMNS:
            assert a.history[column].dtype == np.float64
            np.testing.assert_array_equal(a.history[column], b.history[column])


def grid_sweep() -> Sweep:
    """2 × 2 variants × 2 seeds of XOR, a few steps each."""
    variations = [Variation.parse("lr=0.02,0.2"), Variation.parse("optimizer=SGD,Adam")]
    return Sweep(XOR, variations, seeds=2, steps=STEPS)


@pytest.fixture(scope="module")
def grid() -> Sweep:
    return grid_sweep()


@pytest.fixture(scope="module")
def reference(grid) -> list:
    """The grid run job by job in this process."""
    return list(grid.run(workers=1))


# --------------------------------------------------------------------------- equal to train


def trained_by_cli(project: Project, seed: int, tmp_path, *length: str) -> Project:
    """``backprop-lab train VARIANT.json --seed S ... --save OUT.json``, loaded back."""
    variant, out = tmp_path / f"variant-{seed}.json", tmp_path / f"trained-{seed}.json"
    project.save(variant)
    argv = ["train", str(variant), "--seed", str(seed), *length, "--quiet", "--save", str(out)]
    assert cli.main(argv) == 0
    return Project.load(out)


def assert_row_is_train(result, trained: Project) -> None:
    trainer = trained.build_trainer()
    values = trainer.evaluate()
    assert result.steps == trained.step_count == trainer.step_count
    assert result.train_loss == values["train_loss"]
    assert same(result.test_loss, values["test_loss"])
    assert same(result.accuracy, values["test_accuracy"])
    for column in HISTORY_COLUMNS:
        np.testing.assert_array_equal(result.history[column], trainer.history.column(column))


def test_each_row_equals_train_of_that_variant_with_its_seed(grid, reference, tmp_path):
    # The variant's project file trained by the command line, with the seed as --seed: the
    # same losses, accuracy and per-step history, bit for bit.  Job 3 is lr=0.02, Adam, seed 1
    # (a seed other than the project's); job 4 is lr=0.2, SGD, seed 0.
    by_index = {r.index: r for r in reference}
    for index in (3, 4):
        result = by_index[index]
        project = grid.projects[index // len(grid.seeds)]
        assert project.optimizer.name == result.variant["optimizer"]
        assert project.optimizer.params["lr"] == result.variant["lr"]
        trained = trained_by_cli(project, result.seed, tmp_path, "--steps", str(STEPS))
        assert_row_is_train(result, trained)


def test_epochs_count_each_variants_own_batches_as_train_does(tmp_path):
    # --epochs 3: full batch trains 3 steps, mini-batches of 10 (160 samples) 48, as train.
    sweep = Sweep(XOR, [Variation.parse("batch_size=full,10")], seeds=1, epochs=3)
    results = sorted(sweep.run(workers=1), key=lambda r: r.index)
    assert [r.steps for r in results] == [3, 48]
    for result, project in zip(results, sweep.projects):
        trained = trained_by_cli(project, result.seed, tmp_path, "--epochs", "3")
        assert_row_is_train(result, trained)


def test_the_default_length_is_the_projects_as_for_train():
    sweep = Sweep(XOR, [Variation.parse("lr=0.05")])  # XOR says 50 epochs of 16 batches
    (result,) = sweep.run(workers=1)
    assert result.steps == 800


def test_variants_of_a_seed_share_their_data_and_initial_weights():
    sweep = Sweep(XOR, [Variation.parse("optimizer=SGD,Adam"), Variation.parse("l2=0,0.01")])
    nets = [p.build_network() for p in sweep.projects]
    for net in nets[1:]:
        for a, b in zip(net.get_weights(), nets[0].get_weights()):
            np.testing.assert_array_equal(a[0], b[0])
    datas = [p.build_data() for p in sweep.projects]
    for data in datas[1:]:
        np.testing.assert_array_equal(data.X_train, datas[0].X_train)
        np.testing.assert_array_equal(data.Y_test, datas[0].Y_test)
    # Where the shapes agree: 8 and 8x8 hidden units draw their first layer alike.
    deep = Sweep(XOR, [Variation.parse("hidden=8,8x8")]).projects
    first = [p.build_network().get_weights()[0][0] for p in deep]
    np.testing.assert_array_equal(first[0], first[1])


def test_jobs_are_plain_data():
    jobs = Sweep(XOR, [Variation.parse("hidden=4,8-8")], seeds=2, steps=5).jobs()
    assert json.loads(json.dumps(jobs)) == jobs
    assert [(j["index"], j["seed"], j["variant"]) for j in jobs] == [
        (0, 0, {"hidden": "4"}),
        (1, 1, {"hidden": "4"}),
        (2, 0, {"hidden": "8x8"}),
        (3, 1, {"hidden": "8x8"}),
    ]
    result = run_job(jobs[3])
    assert result["steps"] == 5 and result["seed"] == 1 and not result["stopped"]


# --------------------------------------------------------------------------- executors


def test_two_worker_processes_give_the_same_results(grid, reference):
    assert_same_results(grid.run(workers=2), reference)
    assert multiprocessing.active_children() == []  # the pool is shut down at the end


# In a process of its own: Dask leaves threads behind in the process that ran a cluster (its
# offload and callback executors), and a later test that forks should not inherit them.
CLUSTER_RUN = """
from distributed import LocalCluster
from tests.project.test_sweep import assert_same_results, grid_sweep

sweep = grid_sweep()
reference = list(sweep.run(workers=1))
with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as c:
    assert_same_results(sweep.run(scheduler=c.scheduler_address), reference)
print("the same results on the cluster")
"""


def test_a_dask_cluster_gives_the_same_results():
    pytest.importorskip("distributed")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", CLUSTER_RUN],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a hung cluster fails this test instead of hanging the suite
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["the same results on the cluster"]


def test_a_result_carries_its_trained_project_on_request():
    sweep = Sweep(XOR, [Variation.parse("lr=0.1")], seeds=1, steps=7, capture=True)
    (result,) = sweep.run(workers=1)
    trained = Project.from_dict(json.loads(result.project))
    assert trained.step_count == 7
    assert trained.build_trainer().evaluate()["train_loss"] == result.train_loss


# --------------------------------------------------------------------------- cancelling


def child_processes() -> list:
    """The pids of this process's child processes other than multiprocessing's resource
    tracker (a helper that lives as long as this process); psutil, where installed (the
    cluster extra brings it), also sees children that multiprocessing did not start."""
    children = [p.pid for p in multiprocessing.active_children()]
    try:
        import psutil
    except ImportError:
        return children
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                children.append(child.pid)
        except psutil.NoSuchProcess:
            pass
    return children


def short_then_long(seeds: int) -> Sweep:
    """Full batch (2,000 steps) then stochastic (320,000 steps, far too long to wait for)."""
    return Sweep(XOR, [Variation.parse("batch_size=full,1")], seeds=seeds, epochs=2000)


def test_should_stop_cancels_running_and_pending_runs_and_leaves_no_process():
    # Two workers take the two full-batch runs; when the first result arrives, a stochastic
    # run is under way and another waits.  should_stop then ends the iteration: the running
    # runs stop within a few steps, the waiting one never starts, every worker is joined.
    before = set(child_processes())
    stop = threading.Event()
    results = []
    for result in short_then_long(seeds=2).run(workers=2, should_stop=stop):
        results.append(result)
        stop.set()
    assert [r.variant for r in results] == [{"batch_size": None}]
    assert set(child_processes()) <= before


def test_closing_the_iteration_early_leaves_no_process():
    before = set(child_processes())
    runs = short_then_long(seeds=1).run(workers=2)
    first = next(runs)  # the stochastic run is training beside it
    assert first.variant == {"batch_size": None}
    assert set(child_processes()) - before  # its worker processes
    runs.close()
    assert set(child_processes()) <= before


def test_a_run_stopped_in_process_is_not_reported():
    looks = []

    def stop_at_the_tenth_look() -> bool:
        looks.append(1)
        return len(looks) >= 10

    long = Sweep(XOR, [Variation.parse("lr=0.1,0.2")], steps=10**6)
    assert list(long.run(workers=1, should_stop=stop_at_the_tenth_look)) == []
    assert len(looks) < 20  # it stopped within the first run, after a few steps
    stopped = run_job(long.jobs()[0], should_stop=lambda: True)
    assert stopped["stopped"] and stopped["steps"] == 1


# --------------------------------------------------------------------------- keys and values


def test_each_key_builds_the_variant_it_names():
    def one(text: str) -> Project:
        variation = Variation.parse(text)
        return variant_project(XOR, {variation.key: variation.values[0]})

    assert one("lr=0.5").optimizer.params == {"lr": 0.5}
    lr = XOR.optimizer.params["lr"]
    adam = one("optimizer=adam")  # the learning rate stays, as when the window switches
    assert (adam.optimizer.name, adam.optimizer.params) == ("Adam", {"lr": lr})
    momentum = variant_project(XOR, {"optimizer": "SGD", "momentum": 0.9})
    assert momentum.optimizer.params == {"lr": lr, "momentum": 0.9}
    assert one("batch_size=full").training.batch_size is None
    assert one("batch_size=stochastic").training.batch_size == 1
    assert one("batch_size=32").training.batch_size == 32
    deep = one("hidden=16-16x4")
    assert deep.network.sizes == [2, 16, 16, 4, 1]
    assert deep.network.activations == ["tanh"] * 3 + ["sigmoid"]
    assert one("hidden=none").network.sizes == [2, 1]
    relu = one("activation=relu")
    assert relu.network.activations == ["relu", "sigmoid"]
    assert variant_project(XOR, {"hidden": (4, 4), "activation": "relu"}).network.activations == [
        "relu",
        "relu",
        "sigmoid",
    ]
    uniform = one("init=uniform")
    assert (uniform.network.init, uniform.network.init_params) == ("uniform", {"a": 0.5})
    assert one("l1=0.001").training.l1 == 0.001
    assert one("l2=0.01").training.l2 == 0.01
    assert one("dropout=0.25").network.dropout == [0.25, 0.0]


def test_typed_values_are_accepted_as_the_window_would_give_them():
    assert Variation.of("hidden", [8, (8, 8)]).values == ((8,), (8, 8))
    assert Variation.of("batch_size", [None, 10]).values == (None, 10)
    assert Variation.of("lr", [0.1, "1e-2"]).values == (0.1, 0.01)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("speed=1,2", ["unknown key 'speed'", "lr"]),
        ("lr", ["expected KEY=V1,V2"]),
        ("lr=0.1,,0.2", ["--vary lr", "empty value"]),
        ("lr=fast", ["--vary lr=fast", "not a number"]),
        ("lr=0", ["--vary lr=0", "above 0"]),
        ("lr=nan", ["--vary lr=nan", "finite"]),
        ("lr=0.1,1e-1", ["--vary lr", "'0.1' and '1e-1' are the same value"]),
        ("optimizer=Adamm", ["--vary optimizer=Adamm", "known: SGD"]),
        ("batch_size=0", ["--vary batch_size=0", "at least 1"]),
        ("batch_size=half", ["--vary batch_size=half", "full, stochastic"]),
        ("hidden=8xa", ["--vary hidden=8xa", "layer widths"]),
        ("hidden=8x0", ["--vary hidden=8x0", "at least 1 neuron"]),
        ("activation=swish", ["--vary activation=swish", "known activation"]),
        ("init=glorot", ["--vary init=glorot", "initialiser"]),
        ("l2=-1", ["--vary l2=-1", "at least 0"]),
        ("dropout=1", ["--vary dropout=1", "below 1"]),
    ],
)
def test_a_bad_key_or_value_is_named(text, fragments):
    with pytest.raises(SweepError) as caught:
        Variation.parse(text)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_a_variant_that_does_not_fit_the_project_is_named():
    # Adam has no momentum.
    with pytest.raises(SweepError, match=r"momentum=0\.0 does not fit .*Adam has no parameter"):
        Sweep(XOR, [Variation.parse("optimizer=Adam"), Variation.parse("momentum=0,0.9")])
    with pytest.raises(SweepError, match=r"--vary activation=relu: .*no hidden layer"):
        Sweep(XOR, [Variation.parse("hidden=none"), Variation.parse("activation=relu")])
    with pytest.raises(SweepError, match="network.sizes"):
        Sweep(XOR, [Variation.parse("hidden=100000")])


def test_one_or_two_distinct_keys_and_sensible_counts():
    lr, l2, hidden = (Variation.parse(t) for t in ("lr=0.1", "l2=0,0.1", "hidden=4"))
    with pytest.raises(SweepError, match="one or two settings, not 3"):
        Sweep(XOR, [lr, l2, hidden])
    with pytest.raises(SweepError, match="one or two settings, not 0"):
        Sweep(XOR, [])
    with pytest.raises(SweepError, match="--vary lr is given twice"):
        Sweep(XOR, [lr, Variation.parse("lr=0.2")])
    with pytest.raises(SweepError, match="--seeds must be at least 1"):
        Sweep(XOR, [lr], seeds=0)
    with pytest.raises(SweepError, match="steps or epochs, not both"):
        Sweep(XOR, [lr], steps=5, epochs=1)
    with pytest.raises(SweepError, match="--workers must be at least 1"):
        Sweep(XOR, [lr]).run(workers=0)


# --------------------------------------------------------------------------- results


def test_csv_has_a_column_per_key_then_the_run_and_exact_numbers(grid, reference):
    rows = grid.csv(reversed(reference)).splitlines()  # in job order whatever the order given
    assert rows[0].split(",") == ["lr", "optimizer", *CSV_COLUMNS]
    assert len(rows) == 1 + len(reference)
    first = rows[1].split(",")
    result = min(reference, key=lambda r: r.index)
    assert first[:4] == ["0.02", "SGD", "0", str(STEPS)]
    assert float(first[4]) == result.train_loss and first[4] == repr(result.train_loss)
    assert float(first[6]) == result.test_accuracy
    assert first[8] == ""  # did not diverge


def test_regression_has_no_accuracy_and_a_diverged_run_says_when():
    sweep = Sweep(sine_project(), [Variation.parse("lr=0.05,1000")], steps=100)
    calm, wild = sorted(sweep.run(workers=1), key=lambda r: r.index)
    assert math.isnan(calm.accuracy) and calm.diverged is None
    assert wild.diverged and wild.diverged_at_step == wild.steps < 100
    rows = [row.split(",") for row in sweep.csv([calm, wild]).splitlines()]
    assert rows[1][CSV_COLUMNS.index("accuracy") + 1] == ""
    assert rows[2][-1] == str(wild.diverged_at_step)


def test_mean_curve_over_seeds(grid, reference):
    runs = [r for r in reference if r.index < len(grid.seeds)]  # the first variant's seeds
    steps, mean, low, high = mean_curve(runs)
    np.testing.assert_array_equal(steps, np.arange(1, STEPS + 1))
    stack = np.stack([r.history["batch_loss"] for r in runs])
    np.testing.assert_array_equal(mean, stack.mean(0))
    assert (low <= mean).all() and (mean <= high).all()
