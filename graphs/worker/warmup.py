"""Exercise torch and the core once in the zygote so workers never import lazily.

Torch imports many modules on first use: printing a tensor under a
`TorchFunctionMode` imports `torch._subclasses.schema_check_mode`, the first
optimizer step imports `torch._dynamo`, `jacfwd` imports `torch._decomp`.  A
worker cannot open files once locked in, so the zygote imports what the
tutorials use, runs a program touching each lazy path (trusted code of ours),
then runs every teaching program of the catalogue, plain and classic. Not the
real models: seconds each, and the hundreds of MB they free would stay in the
zygote's heap, where every worker could allocate them again without growing
its address space, past the memory limit.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from graphs.catalogue import TEACHING

# fmt: off
MODULES = (
    # torch's lazily imported parts that tutorials reach
    "torch._subclasses.schema_check_mode", "torch._dynamo", "torch._decomp", "torch.func",
    "torch.autograd.functional", "torch.autograd.forward_ad", "torch.utils.serialization",
    "torch.utils.checkpoint", "torch.utils.data", "torch.utils.flop_counter", "torch.utils.hooks",
    "torch.nn.utils.rnn", "torch.nn.utils.parametrizations", "torch.nn", "torch.nn.functional",
    "torch.nn.init", "torch.nn.utils", "torch.nn.utils.parametrize", "torch.optim",
    "torch.optim.lr_scheduler",
    "torch.distributions", "torch.linalg", "torch.fft", "torch.special", "torch.testing",
    # shipped in the torch wheel, imported by tutorials, not imported by `import torch`
    "functorch", "functorch.experimental", "torch.nn.utils.prune", "torch.utils.benchmark",
    "torch.utils.model_zoo", "torch.nn.attention.flex_attention",
    # numpy, which torch's tensors convert to and from
    "numpy", "numpy.fft", "numpy.linalg", "numpy.random",
    # the standard library tutorials import
    "math", "cmath", "random", "collections", "collections.abc", "itertools", "functools", "json",
    "decimal", "fractions", "statistics", "dataclasses", "typing", "time", "colorsys", "secrets",
    "doctest", "pydoc", "string", "re", "operator", "copy", "enum", "abc", "contextlib", "heapq",
    "bisect", "textwrap", "pprint", "numbers", "warnings", "inspect", "types", "weakref", "array",
    "struct", "datetime", "io", "sys", "os", "traceback", "logging", "unittest", "unicodedata",
    # codecs are looked up lazily by name ("idna" by every socket address, "latin-1" by bytes.decode)
    "encodings.idna", "encodings.ascii", "encodings.latin_1", "encodings.utf_16", "encodings.utf_32",
    "encodings.utf_8_sig", "encodings.cp1252", "encodings.unicode_escape", "encodings.raw_unicode_escape",
)
# fmt: on

EXERCISE = """\
import math, random
import torch
import torch.nn as nn
import torch.nn.functional as F
import copy
import functorch
from torch.func import functional_call, grad, jacrev, jacfwd, linearize, stack_module_state, vmap
from torch.autograd.functional import jacobian, hessian
from torch.overrides import TorchFunctionMode

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.lstm = nn.LSTM(4, 3, batch_first=True)
        self.fc = nn.Linear(3, 2)
        self.seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Dropout(0.1), nn.BatchNorm1d(2))

    def forward(self, image, sequence):
        features = self.conv(image).mean()
        out, _ = self.lstm(sequence)
        return self.seq(self.fc(out[:, -1]) + features)

net = Net()
image, sequence = torch.randn(2, 1, 4, 4), torch.randn(2, 5, 4)
target = torch.tensor([0, 1])
for optimizer in (torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9),
                  torch.optim.Adam(net.parameters(), lr=1e-3), torch.optim.AdamW(net.parameters()),
                  torch.optim.RMSprop(net.parameters()), torch.optim.Adagrad(net.parameters())):
    optimizer.zero_grad()
    loss = F.cross_entropy(net(image, sequence), target) + F.mse_loss(net(image, sequence), torch.zeros(2, 2))
    loss.backward()
    optimizer.step()
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
scheduler.step()
x = torch.randn(3, requires_grad=True)
y = (x.sin() ** 2).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
g.sum().backward()
f = lambda t: (t.tanh() * t).sum()
grad(f)(torch.randn(3)); jacrev(torch.sin)(torch.randn(3)); jacfwd(torch.sin)(torch.randn(3))
vmap(torch.dot)(torch.randn(2, 3), torch.randn(2, 3))
jacobian(torch.exp, torch.randn(2)); hessian(f, torch.randn(2))
# torch's older vmap (vectorize=True) and forward-mode AD's zeros; linearize imports inductor's parts
jacobian(torch.sin, torch.randn(2), vectorize=True, strategy="forward-mode")
hessian(f, torch.randn(2), vectorize=True, outer_jacobian_strategy="forward-mode")
linearize(torch.sin, torch.randn(3))[1](torch.ones(3)); functorch.vmap(torch.sin)(torch.randn(2, 3))
models = [nn.Linear(3, 2), nn.Linear(3, 2)]
params, buffers = stack_module_state(models)
base = copy.deepcopy(models[0]).to("meta")
ensemble = vmap(lambda p, b, t: functional_call(base, (p, b), (t,)), in_dims=(0, 0, None))
ensemble(params, buffers, torch.randn(3))
print(torch.randn(2, 2), net, x.grad, f"{loss.item():.4f}", repr(torch.tensor([1.5])))

class Watch(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))

with Watch():
    print(torch.ones(2) * 2)
print(torch.einsum("ij,jk->ik", torch.randn(2, 3), torch.randn(3, 2)), torch.linalg.inv(torch.eye(2)))
print(torch.fft.fft(torch.randn(4)), math.pi, random.random())
"""


def import_modules() -> None:
    """Import `MODULES` (what a program may import, or torch import lazily
    for it), a module that is missing only costs warmth: about a third of
    `warm_up`'s time, and all a command line's one program usually needs."""
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue


def warm_up(*runs: Callable[[str], object]) -> None:
    """Import, exercise, and run the catalogue with each of `runs` in this process; a module or
    entry that fails only costs warmth, never the zygote."""
    import contextlib
    import io
    import sys
    import warnings

    import_modules()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's advice about this code is for nobody
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                code = compile(EXERCISE, "<warm-up>", "exec")
                exec(code, {"__name__": "__warmup__"})  # noqa: S102 (our own code)
        except Exception as exc:  # noqa: BLE001 (a newer torch may differ; say so where the operator looks)
            print(f"autograd-explorer zygote: warm-up failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        for entry in TEACHING:
            for run in runs:
                try:
                    run(entry.source)
                except Exception:  # noqa: BLE001, S112 (the zygote must start even if an entry is broken)
                    continue
