"""Training steps per second of the engine, beside PyTorch CPU running the same networks.

A script, not a test (pytest does not collect it): it prints the machine's facts and a markdown
table to paste into the README.  One training step is

    engine:  next mini-batch -> trace = net.forward(X) -> grads = net.backward(trace, Y)
             -> optimizers.SGD(lr=0.01).step(net, grads)
    torch:   next mini-batch -> opt.zero_grad() -> loss_fn(model(X), Y) -> loss.backward()
             -> torch.optim.SGD(lr=0.01).step()

on slices of pre-generated random data, taken in turn.  Networks (both sides the same maths):

    tiny     2-8-8-1        tanh hidden, sigmoid output + bce (torch: BCEWithLogitsLoss), batch 10
    digits   784-64-10      relu hidden, softmax output + cross-entropy (torch: CrossEntropyLoss
                            on logits, class-index targets), batch 32 and batch 256
    deep     2-8-8-8-8-8-8-1 as tiny with six hidden layers, batch 10

each in float64 and float32; the targets (issue 14) are for float64.  A width × depth grid
(2-W×D-1, tanh hidden, sigmoid output + bce, batch 10, float64; W up to 512, D up to 3) shows
whether any of those shapes trains faster in PyTorch.

``Trainer.step()`` is timed for tiny and digits/32 in float64 (its full-set evaluation switched
off: ``eval_every`` beyond the run) and on the shipped XOR example as the app trains it (2-8-1,
SGD lr 0.2, batch 10, 160 training and 40 test samples, both evaluated once per epoch), against
the bare loop on the same network and batches: the trainer's overhead (target ≤ 20% on XOR).
Every figure is the median of several timed repeats after a warm-up.

Each BLAS thread count runs in its own subprocess (OPENBLAS_NUM_THREADS is read when NumPy
loads; threadpoolctl, when installed, also limits and reports it).  Torch is imported only after
the engine's figures are taken, so its OpenMP workers cannot take CPU from them, and runs with
``torch.set_num_threads`` at the same count.  OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as
the environment has them: the figures are what the app gets.  Last, the digits network runs
again while another process keeps one core busy (as the GUI thread does while drawing), which
shows what more BLAS threads than free cores cost.

    python tests/benchmarks/bench_engine.py                 # threads 1 and all cores (~2 min)
    python tests/benchmarks/bench_engine.py --threads 1     # one count only
    python tests/benchmarks/bench_engine.py --no-contended --repeats 3 --seconds 0.1  # quick
    PYTHONPATH=. /path/to/venv-with-torch/bin/python tests/benchmarks/bench_engine.py
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

_MARK = "BENCH_ENGINE_JSON "


@dataclass(frozen=True)
class Case:
    key: str
    sizes: tuple[int, ...]
    hidden: str
    output: str
    loss: str
    batch: int
    pool: int  # samples of pre-generated data, cycled through
    target: float | None  # engine/torch steps/s ratio the issue asks for

    @property
    def label(self) -> str:
        return "-".join(map(str, self.sizes))

    @property
    def classes(self) -> int:
        return self.sizes[-1]


CASES = (
    Case("a", (2, 8, 8, 1), "tanh", "sigmoid", "bce", 10, 1000, 8.0),
    Case("b32", (784, 64, 10), "relu", "softmax", "cross_entropy", 32, 2048, 1.9),
    Case("b256", (784, 64, 10), "relu", "softmax", "cross_entropy", 256, 2048, 1.05),
    Case("c", (2, 8, 8, 8, 8, 8, 8, 1), "tanh", "sigmoid", "bce", 10, 1000, 8.0),
)
GRID_WIDTHS = (8, 32, 128, 512)
GRID_DEPTHS = (1, 2, 3)
GRID = tuple(
    Case(f"g{w}x{d}", (2, *[w] * d, 1), "tanh", "sigmoid", "bce", 10, 1000, 1.0)
    for w in GRID_WIDTHS
    for d in GRID_DEPTHS
)
XOR_TARGET = 0.20  # the trainer's overhead over the bare loop on XOR, at most
TRAINER_CASES = ("a", "b32", "xor")
DTYPES = ("float64", "float32")


# ----------------------------------------------------------------------------- timing
def measure(step, seconds: float, repeats: int, warmup: float) -> dict:
    """Median steps/s of ``repeats`` timed runs of about ``seconds`` each, after a warm-up.

    ``cpu`` is the process's CPU time over wall time while timed: above 1 means threads
    (BLAS workers, OpenMP) busy beside the Python thread, spinning or working.
    """
    from time import perf_counter, process_time

    t0 = perf_counter()
    n = 0
    while n < 20 or perf_counter() - t0 < warmup:
        step()
        n += 1
    rate = n / (perf_counter() - t0)
    k = max(10, int(rate * seconds))
    rates = []
    wall = cpu = 0.0
    for _ in range(repeats):
        c = process_time()
        t = perf_counter()
        for _ in range(k):
            step()
        dt = perf_counter() - t
        cpu += process_time() - c
        wall += dt
        rates.append(k / dt)
    return {
        "median": statistics.median(rates),
        "min": min(rates),
        "max": max(rates),
        "k": k,
        "cpu": cpu / wall,
    }


def measure_pair(first, second, seconds: float, repeats: int, warmup: float) -> tuple:
    """:func:`measure` of two steppers with their timed repeats taken in turn, so that a
    machine whose load changes slows both alike (their ratio is what counts)."""
    from time import perf_counter, process_time

    ks = []
    for step in (first, second):
        t0 = perf_counter()
        n = 0
        while n < 20 or perf_counter() - t0 < warmup:
            step()
            n += 1
        ks.append(max(10, int(n / (perf_counter() - t0) * seconds)))
    rates: list[list[float]] = [[], []]
    cpu, wall = [0.0, 0.0], [0.0, 0.0]
    for _ in range(repeats):
        for j, step in enumerate((first, second)):
            c, t = process_time(), perf_counter()
            for _ in range(ks[j]):
                step()
            dt = perf_counter() - t
            cpu[j] += process_time() - c
            wall[j] += dt
            rates[j].append(ks[j] / dt)
    return tuple(
        {
            "median": statistics.median(rates[j]),
            "min": min(rates[j]),
            "max": max(rates[j]),
            "k": ks[j],
            "cpu": cpu[j] / wall[j],
        }
        for j in range(2)
    )


# ----------------------------------------------------------------------------- data
def make_data(case: Case, dtype: str, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((case.pool, case.sizes[0])).astype(dtype)
    if case.loss == "bce":
        Y = (rng.random((case.pool, 1)) < 0.5).astype(dtype)
    else:
        Y = rng.integers(0, case.classes, case.pool)  # class indices, as the app stores them
    return X, Y


def batches(X, Y, size: int) -> list:
    return [(X[i : i + size], Y[i : i + size]) for i in range(0, len(X) - size + 1, size)]


# ----------------------------------------------------------------------------- engine
def engine_net(case: Case, dtype: str):
    from simulator.engine import Network

    acts = [case.hidden] * (len(case.sizes) - 2) + [case.output]
    return Network(list(case.sizes), acts, loss=case.loss, seed=0, dtype=dtype)


def engine_stepper(case: Case, dtype: str):
    from simulator.engine import optimizers

    net = engine_net(case, dtype)
    opt = optimizers.SGD(lr=0.01)
    source = itertools.cycle(batches(*make_data(case, dtype), case.batch))

    def step():
        x, y = next(source)
        trace = net.forward(x)
        grads = net.backward(trace, y)
        opt.step(net, grads)

    return step


def trainer_stepper(case: Case, dtype: str):
    from simulator.engine import optimizers
    from simulator.engine.trainer import Trainer

    X, Y = make_data(case, dtype)
    task = "binary" if case.loss == "bce" else "multiclass"
    trainer = Trainer(
        engine_net(case, dtype),
        optimizers.SGD(lr=0.01),
        X,
        Y,
        task=task,
        batch_size=case.batch,
        eval_every=10**12,
        seed=0,
    )
    return trainer.step


def xor_trainer():
    """The shipped XOR example's Trainer, as the app builds it (evaluation once per epoch)."""
    from simulator.project import project

    return project.load_example("xor").build_trainer()


def xor_bare_stepper():
    """The bare loop on the XOR example's network, optimizer and batches of its training set."""
    trainer = xor_trainer()
    net, opt = trainer.net, trainer.optimizer
    X, Y, size = trainer.X_train, trainer.Y_train, trainer.batches.batch_size
    source = itertools.cycle(batches(X, Y, size))

    def step():
        x, y = next(source)
        opt.step(net, net.backward(net.forward(x), y))

    return step


def xor_trainer_stepper():
    return xor_trainer().step


# ----------------------------------------------------------------------------- torch
def torch_model(case: Case, dtype: str, torch):
    """nn.Sequential with the engine's initial weights (Linear stores W transposed)."""
    import numpy as np

    nn = torch.nn
    tdtype = getattr(torch, dtype)
    mods = []
    net = engine_net(case, dtype)
    for i, layer in enumerate(net.layers):
        lin = nn.Linear(layer.fan_in, layer.fan_out, dtype=tdtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.weights.T)))
            lin.bias.copy_(torch.from_numpy(layer.bias))
        mods.append(lin)
        if i < len(net.layers) - 1:
            mods.append(nn.Tanh() if case.hidden == "tanh" else nn.ReLU())
    # The output activation is fused into the loss, as the engine fuses it.
    loss_fn = nn.BCEWithLogitsLoss() if case.loss == "bce" else nn.CrossEntropyLoss()
    return nn.Sequential(*mods), loss_fn


def torch_stepper(case: Case, dtype: str, torch):
    model, loss_fn = torch_model(case, dtype, torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    X, Y = make_data(case, dtype)
    source = itertools.cycle(batches(torch.from_numpy(X), torch.from_numpy(Y), case.batch))

    def step():
        x, y = next(source)
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def parity(case: Case, dtype: str, torch) -> dict:
    """One step on each side from the same weights: loss and first-layer weights must agree."""
    import numpy as np

    from simulator.engine import optimizers

    X, Y = make_data(case, dtype)
    x, y = X[: case.batch], Y[: case.batch]
    net = engine_net(case, dtype)
    grads = net.backward(net.forward(x), y)
    optimizers.SGD(lr=0.01).step(net, grads)
    model, loss_fn = torch_model(case, dtype, torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss = loss_fn(model(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    opt.step()
    dw = float(np.max(np.abs(model[0].weight.detach().numpy().T - net.layers[0].weights)))
    return {"loss_engine": grads.loss, "loss_torch": float(loss.item()), "max_dw": dw}


# ----------------------------------------------------------------------------- child
def blas_info() -> list[dict]:
    try:
        import threadpoolctl
    except ImportError:
        return []
    keep = (
        "user_api",
        "internal_api",
        "version",
        "architecture",
        "num_threads",
        "threading_layer",
        "filepath",
    )
    return [{k: d.get(k) for k in keep} for d in threadpoolctl.threadpool_info()]


def run_child(args) -> dict:
    import numpy as np

    threads = args.threads[0]
    limiter = None
    try:
        import threadpoolctl

        limiter = threadpoolctl.threadpool_limits(limits=threads, user_api="blas")
    except ImportError:
        pass  # OPENBLAS_NUM_THREADS, set by the parent, did it
    out = {
        "threads": threads,
        "numpy": np.__version__,
        "blas": blas_info(),
        "engine": {},
        "bare": {},
        "trainer": {},
        "torch": {},
        "parity": {},
        "torch_info": None,
    }
    timing = (args.seconds, args.repeats, args.warmup)
    cases = [c for c in CASES if args.cases is None or c.key in args.cases.split(",")]
    for case, dtype in itertools.product(cases, DTYPES):
        out["engine"][f"{case.key}/{dtype}"] = measure(engine_stepper(case, dtype), *timing)
        print(
            f"  [{threads} thr] engine {case.label} b{case.batch} {dtype}: "
            f"{out['engine'][f'{case.key}/{dtype}']['median']:,.0f} steps/s",
            file=sys.stderr,
            flush=True,
        )
    grid = [] if args.no_grid or args.cases else list(GRID)
    for case in grid:
        out["engine"][f"{case.key}/float64"] = measure(engine_stepper(case, "float64"), *timing)
    if args.engine_only:
        return out
    # The trainer beside the bare loop, timed in turn (the overhead is their ratio).
    for case in cases:
        if case.key in TRAINER_CASES:
            key = f"{case.key}/float64"
            out["bare"][key], out["trainer"][key] = measure_pair(
                engine_stepper(case, "float64"), trainer_stepper(case, "float64"), *timing
            )
    if args.cases is None:
        out["bare"]["xor/float64"], out["trainer"]["xor/float64"] = measure_pair(
            xor_bare_stepper(), xor_trainer_stepper(), *timing
        )
    time.sleep(0.5)  # let OpenBLAS workers stop spinning before torch is timed
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            torch = None
        if torch is not None:
            default_threads = torch.get_num_threads()
            torch.set_num_threads(threads)
            out["torch_info"] = {
                "version": torch.__version__,
                "default_threads": default_threads,
                "threads": torch.get_num_threads(),
                "interop_threads": torch.get_num_interop_threads(),
                "mkl": torch.backends.mkl.is_available(),
                "mkldnn": torch.backends.mkldnn.is_available(),
            }
            for case, dtype in itertools.product(cases, DTYPES):
                key = f"{case.key}/{dtype}"
                out["torch"][key] = measure(torch_stepper(case, dtype, torch), *timing)
                print(
                    f"  [{threads} thr] torch  {case.label} b{case.batch} {dtype}: "
                    f"{out['torch'][key]['median']:,.0f} steps/s",
                    file=sys.stderr,
                    flush=True,
                )
            for case in grid:
                key = f"{case.key}/float64"
                out["torch"][key] = measure(torch_stepper(case, "float64", torch), *timing)
            # Last: an engine step wakes OpenBLAS workers, which spin for a while afterwards
            # and would take a core from torch's OpenMP threads if torch were timed next.
            for case, dtype in itertools.product(cases, DTYPES):
                out["parity"][f"{case.key}/{dtype}"] = parity(case, dtype, torch)
    out["blas_after"] = blas_info()
    if limiter is not None:
        limiter.restore_original_limits()
    return out


# ----------------------------------------------------------------------------- parent
def machine_facts() -> dict:
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = {}
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
    except (TypeError, AttributeError):  # NumPy < 1.25 only prints
        pass
    env = {
        k: os.environ[k]
        for k in sorted(os.environ)
        if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "GOTO", "NVPL_"))
    }
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable cores": affinity,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy blas (build)": {
            k: blas.get(k) for k in ("name", "version", "openblas configuration") if blas.get(k)
        },
        "environment": env,
        "load average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def spawn(threads: int, args, extra: tuple[str, ...] = ()) -> dict:
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        "--threads",
        str(threads),
        "--seconds",
        str(args.seconds),
        "--repeats",
        str(args.repeats),
        "--warmup",
        str(args.warmup),
    ]
    if args.no_torch:
        cmd.append("--no-torch")
    if args.no_grid:
        cmd.append("--no-grid")
    cmd += extra
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True)
    for line in proc.stdout.splitlines():
        if line.startswith(_MARK):
            return json.loads(line[len(_MARK) :])
    raise RuntimeError(f"no result from the child for {threads} thread(s):\n{proc.stdout}")


_BUSY = "import time\nend = time.monotonic() + {limit}\nwhile time.monotonic() < end: pass\n"


def run_contended(threads: list[int], args) -> list[dict]:
    """The digits network again while another process keeps one core busy, as the app's GUI
    thread does while it draws: BLAS threads that wait for each other then stall."""
    busy = subprocess.Popen([sys.executable, "-c", _BUSY.format(limit=120)])
    try:
        time.sleep(0.2)
        return [spawn(n, args, ("--engine-only", "--cases", "b32,b256")) for n in threads]
    finally:
        busy.terminate()
        busy.wait()


def report_contended(results: list[dict], contended: list[dict]) -> None:
    print()
    print("## 784-64-10 with one core kept busy by another process (the GUI thread, drawing)")
    print()
    head = ["batch", "dtype"]
    head += [f"engine {res['threads']} thr alone" for res in results]
    head += [f"engine {res['threads']} thr, one core busy" for res in contended]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i < 2 else "---:" for i in range(len(head))) + "|")
    for case, dtype in itertools.product(CASES, DTYPES):
        key = f"{case.key}/{dtype}"
        if key not in contended[0]["engine"]:
            continue
        row = [str(case.batch), dtype]
        row += [fmt_rate(res["engine"].get(key)) for res in results]
        row += [fmt_rate(res["engine"].get(key)) for res in contended]
        print("| " + " | ".join(row) + " |")


def fmt_rate(r: dict | None) -> str:
    return "—" if r is None else f"{r['median']:,.0f}"


def fmt_ratio(e: dict | None, t: dict | None, target: float | None) -> str:
    if e is None or t is None:
        return "—"
    ratio = e["median"] / t["median"]
    if target is None:
        return f"{ratio:.2f}×"
    return f"{ratio:.2f}× {'✓' if ratio >= target else '✗'}"


def report(facts: dict, results: list[dict]) -> None:
    print("## Machine")
    for key, value in facts.items():
        print(f"- {key}: {value}")
    for res in results:
        if not res["blas"]:
            print(
                f"- BLAS in the {res['threads']}-thread run: OPENBLAS_NUM_THREADS="
                f"{res['threads']} (install threadpoolctl to see the kernel and thread count)"
            )
        for lib in res["blas"]:
            print(
                f"- BLAS in the {res['threads']}-thread run (threadpoolctl): "
                f"{lib['internal_api']} {lib['version']}, kernel {lib['architecture']}, "
                f"{lib['num_threads']} thread(s), {lib['threading_layer']}"
            )
        if res["torch_info"]:
            ti = res["torch_info"]
            print(
                f"- torch in the {res['threads']}-thread run: {ti['version']}, default "
                f"get_num_threads() = {ti['default_threads']}, set to {ti['threads']} "
                f"(interop {ti['interop_threads']}), mkl {ti['mkl']}, mkldnn {ti['mkldnn']}"
            )
    have_torch = any(res["torch"] for res in results)
    print()
    print("## Training steps/s (median; SGD lr 0.01; higher is better)")
    print()
    head = ["network", "batch", "dtype"]
    for res in results:
        head.append(f"engine {res['threads']} thr")
    if have_torch:
        for res in results:
            head.append(f"torch {res['threads']} thr")
        for res in results:
            head.append(f"engine/torch {res['threads']} thr")
        head.append("target")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i < 3 else "---:" for i in range(len(head))) + "|")
    for case, dtype in itertools.product(CASES, DTYPES):
        key = f"{case.key}/{dtype}"
        row = [f"{case.label} ({case.key[0]})", str(case.batch), dtype]
        row += [fmt_rate(res["engine"].get(key)) for res in results]
        if have_torch:
            row += [fmt_rate(res["torch"].get(key)) for res in results]
            target = case.target if dtype == "float64" else None
            row += [
                fmt_ratio(res["engine"].get(key), res["torch"].get(key), target) for res in results
            ]
            row.append(f"≥ {target:g}×" if target else "—")
        print("| " + " | ".join(row) + " |")
    print()
    print("## Cores kept busy while training (process CPU time / wall time)")
    print()
    head = ["network", "batch", "dtype"]
    head += [f"engine {res['threads']} thr" for res in results]
    if have_torch:
        head += [f"torch {res['threads']} thr" for res in results]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i < 3 else "---:" for i in range(len(head))) + "|")
    for case, dtype in itertools.product(CASES, DTYPES):
        key = f"{case.key}/{dtype}"
        row = [f"{case.label} ({case.key[0]})", str(case.batch), dtype]
        parts = ("engine", "torch") if have_torch else ("engine",)
        for part in parts:
            row += [f"{res[part][key]['cpu']:.2f}" if key in res[part] else "—" for res in results]
        print("| " + " | ".join(row) + " |")
    print()
    print(
        "## Trainer.step() against the bare forward/backward/update loop (float64; the two "
        "timed in turn)"
    )
    print()
    print(
        "| network | batch | threads | bare loop steps/s | Trainer.step steps/s | "
        "trainer cost per step |"
    )
    print("|---|---|---:|---:|---:|---:|")
    rows = [(case.key, case.label, case.batch, "eval off") for case in CASES]
    rows.append(("xor", "XOR 2-8-1", 10, "eval per epoch"))
    for key0, label, batch, note in rows:
        key = f"{key0}/float64"
        for res in results:
            if key not in res["trainer"]:
                continue
            bare, tr = res["bare"][key]["median"], res["trainer"][key]["median"]
            extra = (1 / tr - 1 / bare) * 1e6
            overhead = bare / tr - 1  # the trainer's time per step over the bare loop's
            mark = ""
            if key0 == "xor":
                mark = f" {'✓' if overhead <= XOR_TARGET else '✗'} (target ≤ {XOR_TARGET:.0%})"
            print(
                f"| {label} ({note}) | {batch} | {res['threads']} | {bare:,.0f} | {tr:,.0f} | "
                f"{extra:+.1f} µs per step, overhead {overhead:+.0%}{mark} |"
            )
    report_grid(results, have_torch)
    if have_torch:
        print()
        worst = {}
        for res in results:
            for key, p in res["parity"].items():
                rel = abs(p["loss_engine"] - p["loss_torch"]) / max(abs(p["loss_torch"]), 1e-30)
                dtype = key.split("/")[1]
                worst[dtype] = max(worst.get(dtype, (0.0, 0.0)), (rel, p["max_dw"]))
        text = ", ".join(
            f"{d}: loss rel. diff {w[0]:.1e}, max |ΔW₀| {w[1]:.1e}" for d, w in worst.items()
        )
        print(f"Parity (one step from the same weights, worst case): {text}")
    print()
    spread = max(
        (r["max"] - r["min"]) / r["median"]
        for res in results
        for part in ("engine", "trainer", "torch")
        for r in res[part].values()
    )
    print(
        f"Largest spread (max − min) / median over the repeats: {spread:.0%}; "
        f"load average now: {os.getloadavg()[0]:.2f}"
        if hasattr(os, "getloadavg")
        else ""
    )


def report_grid(results: list[dict], have_torch: bool) -> None:
    """Engine/torch steps/s ratio over the width × depth grid (float64, batch 10)."""
    if not have_torch or not any(f"{GRID[0].key}/float64" in res["torch"] for res in results):
        return
    for res in results:
        print()
        print(
            f"## 2-W×D-1 grid, float64, batch 10, {res['threads']} thread(s): engine/torch "
            "steps/s (≥ 1× everywhere is the target)"
        )
        print()
        print("| hidden width \\ layers | " + " | ".join(str(d) for d in GRID_DEPTHS) + " |")
        print("|---|" + "---:|" * len(GRID_DEPTHS))
        worst = math.inf
        for w in GRID_WIDTHS:
            cells = []
            for d in GRID_DEPTHS:
                key = f"g{w}x{d}/float64"
                e, t = res["engine"].get(key), res["torch"].get(key)
                if e is None or t is None:
                    cells.append("—")
                    continue
                ratio = e["median"] / t["median"]
                worst = min(worst, ratio)
                cells.append(f"{ratio:.2f}× ({e['median']:,.0f} / {t['median']:,.0f})")
            print(f"| {w} | " + " | ".join(cells) + " |")
        if math.isfinite(worst):
            print()
            print(f"Slowest against PyTorch: {worst:.2f}× {'✓' if worst >= 1.0 else '✗'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=None,
        help="BLAS / torch thread counts to measure (default: 1 and all cores)",
    )
    parser.add_argument("--seconds", type=float, default=0.25, help="length of one timed repeat")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (median reported)")
    parser.add_argument("--warmup", type=float, default=0.3, help="warm-up seconds per figure")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if present")
    parser.add_argument(
        "--no-grid", action="store_true", help="skip the width × depth grid against PyTorch"
    )
    parser.add_argument(
        "--no-contended",
        dest="contended",
        action="store_false",
        help="skip the digits runs with one core kept busy by another process",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cases", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(_MARK + json.dumps(run_child(args)), flush=True)
        return 0
    threads = args.threads or sorted({1, os.cpu_count() or 1})
    started = time.perf_counter()
    facts = machine_facts()
    results = [spawn(n, args) for n in threads]
    contended = []
    if args.contended and (os.cpu_count() or 1) > 1:
        contended = run_contended(threads, args)
    report(facts, results)
    if contended:
        report_contended(results, contended)
    print(f"(measured in {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
