"""Benchmark: a 2,000-step nn.Module + SGD training loop, captured, against plain Python.

Three runs of the same program text, medians of `--repeats` rounds taken in
turn (so a burst of load elsewhere slows all three alike):

* plain   -- the program compiled and `exec`'d as it is, in this process;
* full    -- every pass captured in full (the mode on, every node hooked),
             as before counted loops: `capture_program(counted_loops=False)`
             and the record built;
* capture -- head and tail only, as before the spread: naming pass, Recorder,
             counted loops whose middle iterations run without capture,
             optimizer step events, record built: `capture_program(source)`;
* spread  -- the same keeping also a log-spaced spread of `SPREAD` passes
             (graphs.worker.spread), what every front end runs:
             `capture_program(spread=SPREAD)`, record built;
* worker  -- `graphs.api.run_source`: the front ends' run (with the spread)
             in a locked sandbox worker, including fork, lockdown and the JSON result.

Torch runs on one thread everywhere (the worker always does). The ratios
printed are against plain; the target for the worker is <= 1.5x, and
keeping the spread costs at most 1.5x the capture of head and tail
(spread/capture). The record's JSON size is printed for both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphs import sandbox  # noqa: E402
from graphs.api import run_source  # noqa: E402
from graphs.worker.capture import capture_program  # noqa: E402
from graphs.worker.program import run_program  # noqa: E402
from graphs.worker.spread import SPREAD  # noqa: E402

MLP = """\
import torch
import torch.nn as nn

torch.manual_seed(0)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear({inputs}, {width})
        self.out = nn.Linear({width}, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


model = MLP()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn({batch}, {inputs})
y = x.sum(dim=1, keepdim=True).sin()
for step in range({steps}):
    optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
print(f"loss {{loss.item():.5f}}")
"""

CNN = """\
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.fc = nn.Linear(8 * 8 * 8, 10)

    def forward(self, images):
        features = F.max_pool2d(F.relu(self.conv(images)), 2)
        return self.fc(features.flatten(1))


model = SmallCNN()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
images = torch.randn({batch}, 1, 16, 16)
labels = torch.randint(0, 10, ({batch},))
for step in range({steps}):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
print(f"loss {{loss.item():.5f}}")
"""

# (row label, program, its sizes): a tutorial-sized MLP, a wider one, a small CNN.
CASES = [
    ("MLP 8->32->1, batch 64", MLP, {"batch": 64, "inputs": 8, "width": 32}),
    ("MLP 32->256->1, batch 256", MLP, {"batch": 256, "inputs": 32, "width": 256}),
    ("CNN conv3x3(1->8) + linear, 16x16 images, batch 32", CNN, {"batch": 32}),
]


def median_times(fns: dict, repeats: int) -> dict[str, float]:
    for fn in fns.values():
        fn()  # warm-up: imports, the zygote, first-call caches
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def full_capture(source: str):
    """Every pass in full: the path a loop of unknown length takes."""
    recorder, outcome = capture_program(source, counted_loops=False)
    return recorder.record(prints=outcome.prints, source=source)


def counted_capture(source: str, spread: int):
    """Counted loops keeping head and tail, and `spread` passes between them."""
    recorder, outcome = capture_program(source, spread=spread)
    return recorder.record(prints=outcome.prints, source=source)


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="measure only the loops whose label contains this text")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sandbox.start()
    print(f"{args.steps}-step loops, SGD, one torch thread, medians of {args.repeats} rounds\n")
    print(
        "| loop | plain s | full s | capture s | spread s | worker s | full/plain "
        "| capture/plain | spread/capture | worker/plain | passes kept | losses | record KB capture "
        "| record KB spread | peak MB plain | peak MB spread |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for label, template, sizes in (case for case in CASES if args.only in case[0]):
        source = template.format(steps=args.steps, **sizes)
        times = median_times(
            {
                "plain": partial(run_program, source),
                "full": partial(full_capture, source),
                "spread": partial(counted_capture, source, SPREAD),
                "capture": partial(counted_capture, source, 0),
                "worker": partial(run_source, source),
            },
            args.repeats,
        )
        record, window = counted_capture(source, SPREAD), counted_capture(source, 0)
        peaks = peak_mb(partial(run_program, source)), peak_mb(partial(counted_capture, source, SPREAD))
        ratio, spread = times["worker"] / times["plain"], times["spread"] / times["capture"]
        print(
            f"| {label} | {times['plain']:.3f} | {times['full']:.3f} | {times['capture']:.3f} "
            f"| {times['spread']:.3f} | {times['worker']:.3f} | {times['full'] / times['plain']:.2f}x "
            f"| {times['capture'] / times['plain']:.2f}x | {spread:.2f}x | {ratio:.2f}x "
            f"| {len(record.passes)} | "
            f"{len(record.losses)} | {len(window.to_json()) / 1e3:.0f} | {len(record.to_json()) / 1e3:.0f} | "
            f"{peaks[0]:.1f} | {peaks[1]:.1f} |"
        )
        verdicts.append(
            f"- {label}: worker/plain {ratio:.2f}x (target <= 1.5x) {'met' if ratio <= 1.5 else 'NOT met'}; "
            f"spread/capture {spread:.2f}x (target <= 1.5x) {'met' if spread <= 1.5 else 'NOT met'}"
        )
    print("\n" + "\n".join(verdicts))


if __name__ == "__main__":
    main()
