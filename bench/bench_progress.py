"""Benchmark: what progress reports cost a training loop, captured in a worker.

The first case of bench_long.py (a 2,000-step MLP with SGD), run four ways,
medians of `--repeats` rounds taken in turn (so load elsewhere slows all alike):

* capture          -- `run_in_process(source)`: no Reporter;
* capture+reports  -- `run_in_process(source, Reporter(...))`: a report due every
                      0.2 s, the clock read at every iteration and pass;
* worker           -- `run_source(source)`: the reports still go up the
                      pipe (the job always reports), nobody gates them;
* worker+progress  -- `run_source(source, on_progress=...)`: gated and handed on.

The ratios are against the run without reports; the target is <= 1.05x.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_long import CASES, median_times  # noqa: E402
from graphs import sandbox  # noqa: E402
from graphs.api import run_in_process, run_source  # noqa: E402
from graphs.worker.reporting import Reporter  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sandbox.start()
    label, template, sizes = CASES[0]
    source = template.format(steps=args.steps, **sizes)
    heard: list = []
    times = median_times(
        {
            "capture": lambda: run_in_process(source),
            "capture+reports": lambda: run_in_process(source, Reporter(heard.append)),
            "worker": lambda: run_source(source),
            "worker+progress": lambda: run_source(source, on_progress=heard.append),
        },
        args.repeats,
    )
    print(f"{label}, {args.steps} steps, one torch thread, medians of {args.repeats} rounds")
    print("| run | s | ratio |\n|---|---|---|")
    for name, base in (
        ("capture", "capture"),
        ("capture+reports", "capture"),
        ("worker", "worker"),
        ("worker+progress", "worker"),
    ):
        print(f"| {name} | {times[name]:.3f} | {times[name] / times[base]:.3f}x |")
    print(f"reports heard: {len(heard)}")


if __name__ == "__main__":
    main()
