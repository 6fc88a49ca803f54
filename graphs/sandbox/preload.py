"""Imported once by the zygote, before any worker is forked.

Everything a program can need is imported and exercised here so that workers
inherit it through fork: a locked-in worker cannot open a file, so it could
not import a module lazily.  Torch is made single-threaded and CPU-only here
too (the environment the client gave the zygote says so as well), so no
worker ever starts a thread pool, and the zygote itself forks with one thread.
"""
from __future__ import annotations

import gc

import torch

from graphs import api
from graphs.sandbox import jobs  # noqa: F401  (the probe's job must be importable by name)
from graphs.sandbox.warmup import warm_up

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
warm_up(api)
# Every object so far is permanent: a worker's garbage collector then never
# walks (and so never copies, page by page) the zygote's heap.
gc.collect()
gc.freeze()
