"""Escape suite: hostile programs through the public path, judged by harm.

Every program goes through `graphs.api.run_source` (what the app and the
CLI call: the capture Recorder inside a locked worker) or the classic view,
and a few through `python -m graphs run`.  A program may run, or fail with
one line; either way the test checks the world: no marker file under a
world-writable folder, no secret in any output, no process left running,
and the next program still gives the right gradients.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphs.api import classic_source, run_source
from graphs.catalogue import CATALOGUE
from graphs.errors import ProgramError
from tests.security.test_harm import sandbox_processes

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cli-secret-0d9e4b17-never-shown"

# Real Python reaching for the operating system through torch, builtins,
# object graphs, hooks run by autograd, and the capture machinery itself.
HOSTILE = {
    "torch_os": "import torch\ntorch.os.system('touch MARKER')",
    "torch_sys_modules": "import torch\ntorch.sys.modules['os'].system('touch MARKER')",
    "getattr_os": "import torch\ngetattr(torch, 'os').system('touch MARKER')",
    "dunder_import": "__import__('os').system('touch MARKER')",
    "eval_exec": "eval(\"__import__('os').system('touch MARKER')\")\nexec(\"open('MARKER', 'w')\")",
    "subclasses_walk": "for c in ().__class__.__base__.__subclasses__():\n"
    "    if c.__name__ == 'Popen':\n        c(['touch', 'MARKER'])",
    "generator_frame_globals": "g = (x for x in [1])\n"
    "os = g.gi_frame.f_globals['__builtins__']['__import__']('os')\nos.system('touch MARKER')",
    "torch_save": "import torch\ntorch.save(torch.ones(2), 'MARKER')",
    "numpy_save": "import numpy as np\nnp.save('MARKER', [1])",
    "tofile": "import torch\ntorch.ones(2).numpy().tofile('MARKER')",
    "hub_download": "import torch\ntorch.hub.download_url_to_file('http://127.0.0.1:9/x', 'MARKER')",
    "load_library": "import torch\ntorch.ops.load_library('MARKER')",
    "torch_compile": "import torch\nf = torch.compile(lambda x: x.sin())\nf(torch.ones(2))",
    "tensor_hook": "import os, torch\nx = torch.ones(2, requires_grad=True)\n"
    "x.register_hook(lambda g: os.system('touch MARKER'))\n(x * 2).sum().backward()",
    "module_hook": "import torch\nm = torch.nn.Linear(2, 1)\n"
    "m.register_forward_hook(lambda *a: open('MARKER', 'w'))\nm(torch.ones(2)).sum().backward()",
    "function_backward": "import torch\nclass Leak(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        return x * 2\n"
    "    @staticmethod\n    def backward(ctx, g):\n        open('MARKER', 'w')\n        return g\n"
    "x = torch.ones(2, requires_grad=True)\nLeak.apply(x).sum().backward()",
    "apply_callable": "import torch\nx = torch.ones(2)\nx.apply_(lambda v: open('MARKER', 'w') and v)",
    "forged_record": "import graphs.record.model as r\n"
    "r.GraphRecord.to_dict = lambda self: {'nodes': 'MARKER'}\n"
    "import torch\nx = torch.ones(1, requires_grad=True)\n(x * 2).sum().backward()",
    "recorder_globals": "import sys\nframe = sys._getframe()\nwhile frame.f_back:\n    frame = frame.f_back\n"
    "frame.f_globals['os'].system('touch MARKER')",
    "secret_env": "import os\nprint(open('/proc/self/environ').read())",
}
RIGHT = "import torch\nw = torch.tensor([3.0], requires_grad=True)\n(w * w).sum().backward()"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    tmp_path.chmod(0o777)  # only the sandbox, not directory permissions, may stop a write
    return tmp_path


def assert_the_next_program_is_right() -> None:
    record = run_source(RIGHT)
    leaf = next(node for node in record.nodes if node.kind == "leaf")
    assert record.passes[-1].grad_after[leaf.id] in (6.0, [6.0])


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_program_does_no_harm_through_the_public_path(name, folder):
    source = HOSTILE[name].replace("MARKER", str(folder / "marker"))
    for run in (run_source, classic_source):
        try:
            run(source)
        except ProgramError as error:
            assert "\n" not in str(error) and "Traceback" not in str(error)
    assert not any(folder.iterdir())
    assert_the_next_program_is_right()


CLI_CASES = ["torch_os", "tensor_hook", "secret_env", "forged_record"]


@pytest.mark.parametrize("name", CLI_CASES)
def test_the_cli_does_no_harm_shows_no_secret_and_leaves_nothing_running(name, folder):
    secret_file = folder / "secret.txt"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o644)
    source = (
        HOSTILE[name].replace("MARKER", str(folder / "marker"))
        + f"\nprint(open({str(secret_file)!r}).read())"
    )
    program = folder / "program.py"
    program.write_text(source)
    cli = subprocess.Popen(
        [sys.executable, "-m", "graphs", "run", str(program), "--json"],
        cwd=ROOT,
        env={**os.environ, "AUTOGRAD_HARM_CLI_TOKEN": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = cli.communicate(timeout=300)
    assert cli.returncode == 1
    assert stdout == "" and len(stderr.strip().splitlines()) == 1 and stderr.startswith("error: ")
    assert SECRET not in stdout + stderr
    assert sorted(path.name for path in folder.iterdir()) == ["program.py", "secret.txt"]
    deadline = time.monotonic() + 30
    while sandbox_processes(cli.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox_processes(cli.pid) == []


def test_the_cli_runs_a_catalogue_program_and_leaves_nothing_running():
    cli = subprocess.Popen(
        [sys.executable, "-m", "graphs", "run", CATALOGUE[0].slug],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = cli.communicate(timeout=300)
    assert cli.returncode == 0, stderr
    assert "leaf" in stdout
    deadline = time.monotonic() + 30
    while sandbox_processes(cli.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox_processes(cli.pid) == []
