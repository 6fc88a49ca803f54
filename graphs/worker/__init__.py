"""What runs inside the locked worker: a program's capture, turned into a record.

A stranger's program runs here as real Python, in a process the operating
system has locked in (`graphs.sandbox`). `program` compiles and runs it and
tells its errors from ours; `capture` watches it with a torch-function mode
(`hooks` for each backward pass, `loops` for training loops, `naming` for
the variables it binds, `modulestack` for the module calls, `cuts` for
constants and detached tensors, `optimizers` for optimizer steps); `build`
turns what was seen into the record (`graphs.record`), the only thing that
leaves the worker. `classic` records torchviz's view, `check` compares
gradients with finite differences. `jobs` names what the server asks a
worker to do, and `warm_up` readies the fork server that forks the workers.
"""
