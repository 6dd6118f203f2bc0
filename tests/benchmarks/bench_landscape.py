"""What the loss landscape costs: digits 64-32-10 at 41×41, in-process and in the job's pool.

A script, not a test (pytest does not collect it).  It trains a relu/softmax 64-32-10 network
on all 1,797 digits (``datasets.generate("digits")``, SGD with momentum, mini-batches of 32)
for ``--steps`` steps, keeping a checkpoint every 10 steps, and prints:

    evaluate     one ``Network.evaluate`` of the whole set, with one BLAS thread (as the app
                 and the job's workers run) and, in a subprocess, with OpenBLAS's default
    in-process   ``landscape.surface`` of the grid plus ``landscape.line`` on this thread,
                 on the job's own directions (random mode): what one core takes (wall, CPU)
    job          ``LandscapeJob`` from start to ``finished`` (worker start-up included) in
                 random and trajectory mode, in-process / job, and the workers' CPU time
                 (``RUSAGE_CHILDREN``: the pool's processes are joined when the job ends)
    idle cores   the workers' CPU time over their number: the job's time on idle cores
    target       the job under 10 s (the issue's figure)

    python tests/benchmarks/bench_landscape.py                   # 41×41, every core
    python tests/benchmarks/bench_landscape.py --resolution 61 --workers 2
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app runs (cli._run_gui)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from simulator.engine import Network, datasets, landscape, optimizers
from simulator.engine.checkpoints import CheckpointStore
from simulator.engine.trainer import Trainer

TARGET_S = 10.0
EVALUATE_SNIPPET = """
import time
from simulator.engine import Network, datasets
d = datasets.generate("digits")
net = Network([64, 32, 10], ["relu", "softmax"], loss="cross_entropy", seed=0)
net.evaluate(d.X, d.y)
t = time.perf_counter()
for _ in range(100):
    net.evaluate(d.X, d.y)
print((time.perf_counter() - t) / 100)
"""


def trained(steps: int) -> tuple[Trainer, CheckpointStore]:
    data = datasets.generate("digits")
    net = Network([64, 32, 10], ["relu", "softmax"], loss="cross_entropy", seed=0)
    trainer = Trainer(
        net,
        optimizers.SGD(lr=0.05, momentum=0.9),
        data.X,
        data.y,
        task="multiclass",
        batch_size=32,
    )
    trainer.record_evaluations = False
    store = CheckpointStore()
    store.add(trainer.checkpoint())
    for _ in range(steps // 10):
        trainer.run(steps=10)
        store.add(trainer.checkpoint())
    return trainer, store


def evaluate_seconds(blas_threads: str | None) -> float:
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(name, None)
    if blas_threads is not None:
        env["OPENBLAS_NUM_THREADS"] = blas_threads
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", EVALUATE_SNIPPET],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def run_job(job, trainer, store, **options):
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    results = []
    job.finished.connect(results.append)
    job.failed.connect(results.append)
    job.finished.connect(app.quit)
    job.failed.connect(app.quit)
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if job.start_from(trainer, store, **options):
        app.exec()
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, joined by then
    workers_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    job.finished.disconnect()
    job.failed.disconnect()
    if isinstance(results[-1], str):
        raise SystemExit(f"the job failed: {results[-1]}")
    return results[-1], seconds, workers_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=41)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None, help="default: every core")
    args = parser.parse_args()

    from PySide6.QtCore import QCoreApplication

    from simulator.app.landscape_job import LINE_TS, LandscapeJob, default_workers

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 (the event loop)
    n = args.resolution
    workers = args.workers or default_workers()
    print(f"digits 64-32-10 (relu, softmax), 1,797 samples, {n}×{n} grid, {workers} workers")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    one = evaluate_seconds("1")
    default = evaluate_seconds(None)
    print(f"evaluate     {one * 1e3:.2f} ms (1 BLAS thread), {default * 1e3:.2f} ms (default)")

    trainer, store = trained(args.steps)
    job = LandscapeJob(workers=workers)
    result, job_random, cpu_random = run_job(
        job, trainer, store, mode="random", resolution=n, seed=0
    )
    _, job_trajectory, cpu_trajectory = run_job(
        job, trainer, store, mode="trajectory", resolution=n
    )

    net = trainer.net
    t0 = time.perf_counter()
    c0 = time.process_time()
    values = landscape.surface(
        net, trainer.X_train, trainer.Y_train, result.center, *result.directions,
        result.alphas, result.betas,
    )  # fmt: skip
    before = landscape.flatten(trainer.last_step.weights_before)
    landscape.line(net, trainer.X_train, trainer.Y_train, before, result.center - before, LINE_TS)
    in_process = time.perf_counter() - t0
    in_process_cpu = time.process_time() - c0
    assert np.array_equal(values, result.values), "the job's grid differs from the engine's"

    evaluations = n * n + len(LINE_TS)
    print(f"in-process   {in_process:.2f} s, CPU {in_process_cpu:.2f} s ({evaluations} losses)")
    print(
        f"job random   {job_random:.2f} s   (in-process / job = {in_process / job_random:.2f}); "
        f"the workers' CPU {cpu_random:.2f} s in all"
    )
    print(
        f"job path     {job_trajectory:.2f} s   (PCA of {len(store)} checkpoints first); "
        f"the workers' CPU {cpu_trajectory:.2f} s in all"
    )
    print(
        f"idle cores   about {cpu_random / workers:.2f} s for the random job if each worker "
        "had a core to itself (its CPU time shared out, start-up included)"
    )
    verdict = "met" if max(job_random, job_trajectory) < TARGET_S else "MISSED"
    print(f"target       < {TARGET_S:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
