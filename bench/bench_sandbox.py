"""Benchmark: what running a program in a locked worker costs over running it in process.

Rows (median and p95 over `--runs` runs, wall time, all in one session so
each ratio compares measurements taken moments apart on the same machine):
  in process       `run_python(source)` here: compile and exec, nothing else (the baseline);
  worker, locked   `sandbox.call(run_python, source)`: request, monitor fork, worker
                   fork, lockdown with the seccomp filter, JSON result, reaping;
  worker, trusted  the same without the filter and file limits (trusted local mode);
  fork+lockdown    fork a child of a zygote-sized process, lock it in, exit, reap:
                   the wall's own cost, without the monitor, sockets or JSON;
and the same comparison for a catalogue program through the capture
(`api.run_in_process` against `api.run_source`) and a 2,000-step
`nn.Module` + SGD training loop.  The target is a per-program overhead
(worker, locked minus in process) with a median of at most 30 ms.

    python bench/bench_sandbox.py [--runs 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphs import api, sandbox
from graphs.catalogue import CATALOGUE
from graphs.sandbox import SandboxConfig
from graphs.worker.jobs import run_python

OVERHEAD_TARGET_MS = 30.0
TRIVIAL = "x = 1"
TRAINING = """\
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 16)
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))

torch.manual_seed(0)
net = Net()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
x, y = torch.randn(32, 4), torch.randn(32, 1)
for step in range(2000):
    optimizer.zero_grad()
    loss = ((net(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.4f}")
"""


@dataclass
class Row:
    name: str
    median_ms: float
    p95_ms: float
    ratio: float | None = None  # median over the baseline row's median
    overhead_ms: float | None = None  # median minus the baseline row's median


def timed(works: list[Callable[[], object]], runs: int) -> list[list[float]]:
    """Times of each callable, taken in turn (a, b, c, a, b, c, ...) so that a
    busy machine slows every row alike rather than whichever ran last."""
    for work in works:
        work()  # warm: the first call may start the zygote or import lazily
    times: list[list[float]] = [[] for _ in works]
    for _ in range(runs):
        for work, found in zip(works, times, strict=True):
            started = time.perf_counter()
            work()
            found.append((time.perf_counter() - started) * 1000)
    return times


def row(name: str, times: list[float], baseline: Row | None = None) -> Row:
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    if baseline is None:
        return Row(name, median, p95)
    return Row(name, median, p95, median / baseline.median_ms, median - baseline.median_ms)


def fork_and_lockdown(runs: int) -> list[float]:
    """Fork + lockdown + exit + reap from a process with the zygote's image, in a child
    process of ours (the lockdown is irreversible, and we must not build it here)."""
    import subprocess

    code = f"""
import os, sys, time, json
from graphs.sandbox.zygote import _prepare
_prepare("graphs.worker.jobs")
from graphs.sandbox import syscalls
from graphs.sandbox.config import SandboxConfig
from graphs.sandbox.lockdown import Wall, lock_in
wall, config, times = Wall(syscalls.build()), SandboxConfig(), []
for _ in range({runs} + 1):
    read, write = os.pipe()
    started = time.perf_counter()
    child = os.fork()
    if child == 0:
        lock_in(write, config, wall, filtered=True)
        os._exit(0)
    os.waitpid(child, 0)
    times.append((time.perf_counter() - started) * 1000)
    os.close(read); os.close(write)
print(json.dumps(times[1:]))
"""
    from graphs.sandbox.client import minimal_environment

    done = subprocess.run(
        [sys.executable, "-c", code],
        env=minimal_environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(runs: int) -> list[Row]:
    import torch

    torch.set_num_threads(1)  # as in the worker, so the baseline does the same work on one core
    locked, trusted, long = SandboxConfig(), SandboxConfig(trusted=True), SandboxConfig(timeout_s=120)
    sandbox.start()
    seed = CATALOGUE[0].source
    here, in_locked, in_trusted = timed(
        [
            lambda: run_python(TRIVIAL),
            lambda: sandbox.call(run_python, TRIVIAL, config=locked),
            lambda: sandbox.call(run_python, TRIVIAL, config=trusted),
        ],
        runs,
    )
    baseline = row("trivial, in process", here)
    rows = [
        baseline,
        row("trivial, worker (locked)", in_locked, baseline),
        row("trivial, worker (trusted)", in_trusted, baseline),
        row("fork + lockdown alone", fork_and_lockdown(runs), baseline),
    ]
    seed_here, seed_worker = timed([lambda: api.run_in_process(seed), lambda: api.run_source(seed)], runs)
    seed_baseline = row(f"{CATALOGUE[0].slug} captured, in process", seed_here)
    rows += [seed_baseline, row(f"{CATALOGUE[0].slug} captured, worker", seed_worker, seed_baseline)]
    loop_here, loop_worker = timed(
        [lambda: run_python(TRAINING), lambda: sandbox.call(run_python, TRAINING, config=long)],
        max(5, runs // 20),
    )
    loop_baseline = row("2,000-step nn.Module + SGD, in process", loop_here)
    rows += [loop_baseline, row("2,000-step nn.Module + SGD, worker", loop_worker, loop_baseline)]
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| case | median ms | p95 ms | ratio | overhead ms |", "|---|---:|---:|---:|---:|"]
    for item in rows:
        ratio = "" if item.ratio is None else f"{item.ratio:.1f}x"
        overhead = "" if item.overhead_ms is None else f"{item.overhead_ms:+.1f}"
        lines.append(f"| {item.name} | {item.median_ms:.2f} | {item.p95_ms:.2f} | {ratio} | {overhead} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = measure(args.runs)
    if args.json:
        print(json.dumps([asdict(item) for item in rows], indent=2))
        return
    print(table(rows))
    overhead = rows[1].overhead_ms or 0.0
    verdict = "meets" if overhead <= OVERHEAD_TARGET_MS else "misses"
    print(
        f"\nper-program overhead (locked worker - in process): median {overhead:.1f} ms, "
        f"{verdict} the {OVERHEAD_TARGET_MS:g} ms target; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
