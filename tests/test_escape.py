"""Escape suite: hostile programs through the public path, refused, no trace.

Every program goes through `graphs.api.run_source` (what the app and the CLI
call), so it meets the snippet language's checks and the sandbox worker.
Each is refused with its clear message (and, when refused before running,
the line and column); a program that would write a file or run a command
names a marker path under `tmp_path`, and the test checks that the marker was
never created.  A few are also sent through `python -m graphs run --json`,
which must print the same one line on stderr and exit non-zero.
"""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from graphs.api import run_source
from graphs.snippet import SnippetError

ROOT = Path(__file__).resolve().parent.parent
M = "{marker}"


@dataclass(frozen=True)
class Hostile:
    name: str
    source: str
    message: str                 # a fragment of the expected message
    where: tuple[int, int] | None  # (line, col) of a refusal, None if unplaced


def nested_lists(depth: int) -> str:
    return "x = " + "[" * depth + "1.0" + "]" * depth


CASES = [
    # dunder and __subclasses__ traversal
    Hostile("subclasses", "x = ().__class__.__bases__[0].__subclasses__()",
            "'.__subclasses__()' is not a method snippets may use", (1, 5)),
    Hostile("mro", "x = torch.ones(1)\ny = x.__class__.__mro__", "'.__mro__' is not an attribute", (2, 5)),
    Hostile("torch_dict", "d = torch.__dict__", "'torch.__dict__' is not an operation", (1, 5)),
    Hostile("function_globals", "g = torch.tensor.__globals__", "'torch.tensor.__globals__' is not", (1, 5)),
    Hostile("grad_fn_class", "x = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\nc = y.grad_fn.__class__",
            "'.__class__' is not an attribute", (3, 5)),
    Hostile("print_self", "b = print.__self__", "'.__self__' is not an attribute", (1, 5)),
    # modules reachable through torch, and imports
    Hostile("torch_os", f"torch.os.system('touch {M}')", "'torch.os.system' is not an operation", (1, 1)),
    Hostile("torch_sys", f"torch.sys.modules['os'].system('touch {M}')", "'.system()' is not a method", (1, 1)),
    Hostile("torch_builtins", f"torch.builtins.open('{M}', 'w')", "'torch.builtins.open' is not an operation", (1, 1)),
    Hostile("functional_torch_os", f"torch.nn.functional.torch.os.system('touch {M}')",
            "'torch.nn.functional.torch.os.system' is not an operation", (1, 1)),
    Hostile("serialization_os", f"torch.serialization.os.system('touch {M}')",
            "'torch.serialization.os.system' is not an operation", (1, 1)),
    Hostile("import_os", f"import os\nos.system('touch {M}')", "only 'import torch'", (1, 1)),
    Hostile("from_os", f"from os import system\nsystem('touch {M}')", "only 'import torch'", (1, 1)),
    Hostile("import_subprocess", f"import subprocess\nsubprocess.run(['touch', '{M}'])", "only 'import torch'", (1, 1)),
    # getattr, vars, globals, __import__, open, eval, exec
    Hostile("getattr", f"getattr(torch, 'os').system('touch {M}')", "'.system()' is not a method", (1, 1)),
    Hostile("vars", f"vars(torch)['os'].system('touch {M}')", "'.system()' is not a method", (1, 1)),
    Hostile("globals", "g = globals()['__builtins__']", "name 'globals' is not defined", (1, 5)),
    Hostile("dunder_import", f"__import__('os').system('touch {M}')", "'.system()' is not a method", (1, 1)),
    Hostile("open", f"open('{M}', 'w').write('x')", "'.write()' is not a method", (1, 1)),
    Hostile("open_alone", f"f = open('{M}', 'w')", "'open'", (1, 5)),
    Hostile("eval", f"eval(\"__import__('os').system('touch {M}')\")", "name 'eval' is not defined", (1, 1)),
    Hostile("exec", f"exec(\"open('{M}', 'w')\")", "name 'exec' is not defined", (1, 1)),
    Hostile("compile", "c = compile('1', 'f', 'exec')", "name 'compile' is not defined", (1, 5)),
    # lambda, comprehension, generator and function frames
    Hostile("lambda", f"f = lambda: open('{M}', 'w')\nf()", "lambda functions are not allowed", (1, 5)),
    Hostile("list_comprehension", f"x = [open('{M}', 'w') for i in range(1)]", "comprehensions are not allowed", (1, 5)),
    Hostile("generator_frame", "g = (x for x in [1])\nf = g.gi_frame.f_globals", "generator expressions are not allowed",
            (1, 5)),
    Hostile("def", f"def f():\n    return open('{M}', 'w')\nf()", "function definitions (def) are not allowed", (1, 1)),
    Hostile("class", "class A:\n    pass", "class definitions are not allowed", (1, 1)),
    # f-strings, str.format, %-formatting
    Hostile("f_string", "print(f'{torch.os}')", "f-strings are not allowed", (1, 7)),
    Hostile("str_format", "print('{0.__class__.__mro__}'.format(torch))", "'.format()' is not a method", (1, 7)),
    Hostile("str_format_attr", "print('{.os}'.format(torch))", "'.format()' is not a method", (1, 7)),
    Hostile("percent_format", "print('%s' % torch.os)", "'torch.os' is not an operation", (1, 14)),
    # files and network through torch or numpy
    Hostile("torch_save", f"x = torch.ones(2)\ntorch.save(x, '{M}')", "'torch.save' is not an operation", (2, 1)),
    Hostile("torch_load", f"x = torch.load('{M}')", "'torch.load' is not an operation", (1, 5)),
    Hostile("from_file", f"x = torch.from_file('{M}', shared=True, size=10)", "'torch.from_file' is not", (1, 5)),
    Hostile("storage_from_file", f"s = torch.UntypedStorage.from_file('{M}', True, 10)",
            "'torch.UntypedStorage.from_file' is not", (1, 5)),
    Hostile("numpy_save", f"import numpy as np\nnp.save('{M}', [1])", "'np.save' is not an operation", (2, 1)),
    Hostile("numpy_tofile", f"x = torch.ones(2)\nx.numpy().tofile('{M}')", "'.tofile()' is not a method", (2, 1)),
    Hostile("numpy_fromfile", "import numpy\nd = numpy.fromfile('/etc/passwd')", "'numpy.fromfile' is not", (2, 5)),
    Hostile("hub_download", f"torch.hub.download_url_to_file('http://127.0.0.1:9/x', '{M}')",
            "'torch.hub.download_url_to_file' is not", (1, 1)),
    # code loading
    Hostile("hub_load", "m = torch.hub.load('pytorch/vision', 'resnet18')", "'torch.hub.load' is not", (1, 5)),
    Hostile("cpp_extension", f"m = torch.utils.cpp_extension.load(name='x', sources=['{M}'])",
            "'torch.utils.cpp_extension.load' is not", (1, 5)),
    Hostile("ops_load_library", f"torch.ops.load_library('{M}')", "'torch.ops.load_library' is not", (1, 1)),
    Hostile("classes_load_library", f"torch.classes.load_library('{M}')", "'torch.classes.load_library' is not",
            (1, 1)),
    Hostile("jit_script", "m = torch.jit.script(torch.nn.Sigmoid())", "'torch.jit.script' is not", (1, 5)),
    Hostile("jit_load", f"m = torch.jit.load('{M}')", "'torch.jit.load' is not", (1, 5)),
    Hostile("torch_compile", "m = torch.compile(torch.nn.Sigmoid())", "'torch.compile' is not", (1, 5)),
    # callables passed to tensor methods
    Hostile("apply_print", "x = torch.ones(2)\nx.apply_(print)", "'.apply_()' is not a method", (2, 1)),
    Hostile("map_print", "x = torch.ones(2)\nx.map_(x, print)", "'.map_()' is not a method", (2, 1)),
    Hostile("register_hook", "x = torch.ones(2, requires_grad=True)\nx.register_hook(print)",
            "'.register_hook()' is not a method", (2, 1)),
    Hostile("grad_fn_hook", "x = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\ny.grad_fn.register_hook(print)",
            "'.register_hook()' is not a method", (3, 1)),
    Hostile("module_hook", "s = torch.nn.Sigmoid()\ns.register_forward_hook(print)",
            "'.register_forward_hook()' is not a method", (2, 1)),
    Hostile("function_as_value", "x = torch.ones(2)\nf = torch.sigmoid\ny = f(x)", "it can only be called", (2, 5)),
    # forbidden keywords
    Hostile("out_keyword", "x = torch.ones(2)\ny = torch.ones(2)\nz = torch.add(x, y, out=y)",
            "'out=' is not an argument snippets may pass to 'torch.add'", (3, 21)),
    Hostile("device_cuda", "x = torch.ones(2, device='cuda')", "'device=' is not an argument", (1, 19)),
    Hostile("device_meta", "x = torch.ones(2, device='meta')", "'device=' is not an argument", (1, 19)),
    Hostile("keyword_splat", "x = torch.ones(2, **{'device': 'cuda'})", "'**' arguments are not allowed", (1, 19)),
    Hostile("to_device", "x = torch.ones(2).to('cuda')", "'.to()' is not a method", (1, 5)),
    # rebinding names
    Hostile("rebind_torch", "torch = 1", "'torch' cannot be reassigned", (1, 1)),
    Hostile("rebind_print", "print = 2", "'print' cannot be reassigned", (1, 1)),
    Hostile("import_as_torch", "import numpy as torch", "only 'import torch'", (1, 1)),
    Hostile("loop_over_torch", "for torch in [1]:\n    pass", "for loops may only run over range", (1, 14)),
    Hostile("patch_torch_function", "torch.sigmoid = torch.tanh", "it can only be called", (1, 17)),
    Hostile("patch_submodule", "torch.nn.functional = 1", "'torch.nn.functional' cannot be assigned to", (1, 1)),
    Hostile("with_as_torch", "with torch.no_grad() as torch:\n    pass", "'with' is only allowed as", (1, 6)),
    # resource bombs
    Hostile("huge_tensor", "x = torch.ones(100000, 100000)", "tensor of 10000000000 elements; the limit is", (1, 5)),
    Hostile("expand_then_reduce", "x = torch.ones(1).expand(1000000, 1000000)\ny = x.sum()",
            "tensor of 1000000000000 elements", (1, 5)),
    Hostile("power_tower", "x = 2 ** 10 ** 10", "power towers such as a ** b ** c are not allowed", (1, 5)),
    Hostile("big_exponent", "x = 10 ** 100000", "the exponent 100000 is larger than the limit", (1, 5)),
    Hostile("huge_literal", "x = 99999999999999999999999999", "is larger than the limit of", (1, 5)),
    Hostile("deep_nesting", nested_lists(200), "nested more than", None),
    Hostile("deep_unary", "x = " + "-" * 3000 + "1", "could not be parsed", None),
    Hostile("megabytes_of_source", "x = 1\n" * 300_000, "bytes long; the limit is", None),
    Hostile("long_loop", "x = 0\nfor i in range(1000000):\n    x = x + 1", "this loop would run 1000000 times", (2, 10)),
    Hostile("many_ops", "x = torch.ones(2)\nfor i in range(1000):\n    for j in range(1000):\n        x = x + 1",
            "nested loops multiply", (3, 14)),
    Hostile("while_true", "while True:\n    pass", "while loops are not allowed", (1, 1)),
    Hostile("repeat_bomb", "x = torch.ones(1000, 1000).repeat(1000, 1)", "tensor of 1000000000 elements", (1, 5)),
    Hostile("broadcast_bomb", "x = torch.ones(1000, 1000)\ny = x.unsqueeze(2) * x.unsqueeze(0)",
            "tensor of 1000000000 elements", (2, 5)),
    Hostile("cat_bomb", "a = torch.ones(1000, 1000)\nb = torch.cat([a, a, a, a, a, a, a, a, a, a, a])",
            "tensor of 11000000 elements", (2, 5)),
    Hostile("live_elements", "x = torch.ones(1000, 1000, requires_grad=True)\ny = x * 1.0\n"
            "for i in range(100):\n    y = y * 1.0001\ns = y.sum()", "tensor elements in total", (4, 9)),
    Hostile("integer_growth", "x = 2\nfor i in range(100):\n    x = x * x", "grew beyond the limit", (3, 9)),
    Hostile("where_broadcast_bomb", "a = torch.ones(1000, 1, 1000)\nb = torch.ones(1, 1000, 1)\n"
            "c = torch.where(a > 0, a, b)", "tensor of 1000000000 elements", (3, 5)),
    Hostile("bmm_bomb", "a = torch.ones(1000, 1000, 1)\nb = torch.ones(1000, 1, 1000)\nc = torch.bmm(a, b)",
            "tensor of 1000000000 elements", (3, 5)),
    Hostile("variable_exponent", "e = 1000000\nx = e ** e", "the exponent 1000000 is larger than the limit", (2, 5)),
    Hostile("print_flood", "x = torch.ones(1000, 1000)\nfor i in range(1000):\n    print(x)",
            "printed more than", (3, 5)),
    Hostile("grad_fn_traversal", "x = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\n"
            "z = y.grad_fn.next_functions", "'.next_functions' is not an attribute", (3, 5)),
    Hostile("list_repeat", "x = [0] * 1000000", "not on a value of type list", (1, 5)),
    Hostile("string_repeat", "x = 'a' * 1000000", "not on a value of type str", (1, 5)),
]


def program(case: Hostile, tmp_path: Path) -> tuple[str, Path]:
    marker = tmp_path / f"marker-{case.name}"
    return case.source.replace(M, str(marker)), marker


def test_the_suite_covers_at_least_forty_programs():
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_program_is_refused_and_leaves_no_trace(case, tmp_path):
    tmp_path.chmod(0o777)  # only the sandbox, not directory permissions, may stop a write
    source, marker = program(case, tmp_path)
    with pytest.raises(SnippetError) as caught:
        run_source(source)
    error = caught.value
    assert case.message in error.message
    if case.where is not None:
        assert (error.line, error.col) == case.where
        assert str(error).startswith(f"line {error.line}, col {error.col}: ")
    assert "\n" not in str(error) and "Traceback" not in str(error)
    assert not marker.exists()


# One per family; each CLI run starts Python, torch and a fork server, so few.
CLI_CASES = ["torch_os", "dunder_import", "torch_save", "apply_print", "huge_tensor"]


@pytest.fixture(scope="module")
def cli_outcomes(tmp_path_factory):
    """Run the CLI cases concurrently, as separate command-line processes."""
    folder = tmp_path_factory.mktemp("cli")
    folder.chmod(0o777)
    by_name = {case.name: case for case in CASES}

    def run(name: str):
        source, marker = program(by_name[name], folder)
        path = folder / f"{name}.py"
        path.write_text(source)
        done = subprocess.run([sys.executable, "-m", "graphs", "run", str(path), "--json"], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        return name, (done, source, marker)

    with ThreadPoolExecutor(max_workers=len(CLI_CASES)) as pool:
        return dict(pool.map(run, CLI_CASES))


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_refuses_the_same_programs_with_the_same_message(name, cli_outcomes):
    done, source, marker = cli_outcomes[name]
    with pytest.raises(SnippetError) as caught:
        run_source(source)
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [f"error: {caught.value}"]
    assert not marker.exists()
