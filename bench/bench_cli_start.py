"""Benchmark: how long the command line takes, from a fresh process, to run a small program.

Rows (median wall seconds over `--runs` rounds; in each round every command
runs once, in turn, so a burst of load from elsewhere slows all of them alike):
  import torch       `python -c "import torch"`: the baseline no front end can beat;
  CLI, file          `python -m graphs run FOUR_LINES.py --json`: a typed program, in a
                     locked worker forked from the CLI's own process (`sandbox.forking`);
  CLI, catalogue     `python -m graphs run two_layer_sigmoid --json`: our own program,
                     run in the CLI's process;
  fork server        the same file through `graphs.cli.main()` called by a host process,
                     which keeps the app's way: a zygote that imports torch again.
Each row's ratio is over `import torch`; the target for a file is <= 1.3x.

    python bench/bench_cli_start.py [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.3
FOUR_LINES = """\
import torch
w = torch.tensor([2.0, -1.0], requires_grad=True)
loss = (w * w).sum()
loss.backward()
"""


def commands(program: Path) -> dict[str, list[str]]:
    host = f"import sys; from graphs.cli import main; sys.exit(main(['run', {str(program)!r}, '--json']))"
    return {
        "import torch": [sys.executable, "-c", "import torch"],
        "CLI, file": [sys.executable, "-m", "graphs", "run", str(program), "--json"],
        "CLI, catalogue": [sys.executable, "-m", "graphs", "run", "two_layer_sigmoid", "--json"],
        "fork server": [sys.executable, "-c", host],
    }


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def medians(runs: int, program: Path) -> dict[str, float]:
    """Each command's median over `runs` rounds, after one untimed round (disk caches, .pyc files)."""
    named = commands(program)
    for command in named.values():
        timed(command)
    times: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(runs):
        for name, command in named.items():
            times[name].append(timed(command))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        program = Path(folder) / "four_lines.py"
        program.write_text(FOUR_LINES)
        found = medians(args.runs, program)
    baseline = found["import torch"]
    ratios = {name: seconds / baseline for name, seconds in found.items()}
    met = ratios["CLI, file"] <= TARGET
    if args.json:
        print(json.dumps({"seconds": found, "ratios": ratios, "target": TARGET, "met": met}, indent=2))
    else:
        print(f"| command ({args.runs} cold runs each, median) | seconds | / import torch |")
        print("|---|---|---|")
        for name, seconds in found.items():
            print(f"| {name} | {seconds:.2f} | {ratios[name]:.2f}x |")
        print(
            f"CLI start on a file: {ratios['CLI, file']:.2f}x import torch "
            f"(target <= {TARGET}x) {'met' if met else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
