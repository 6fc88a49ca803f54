"""An ensemble of small models run at once with stack_module_state and vmap."""
import copy

import torch
import torch.nn as nn
from torch.func import functional_call, stack_module_state, vmap

torch.manual_seed(55)
models = [nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)) for _ in range(3)]
params, buffers = stack_module_state(models)  # each entry gains a leading "model" dimension
base = copy.deepcopy(models[0]).to("meta")


def run_one(p, b, x):
    return functional_call(base, (p, b), (x,))


x = torch.randn(5, 2)
predictions = vmap(run_one, in_dims=(0, 0, None))(params, buffers, x)
loss = predictions.pow(2).mean()
loss.backward()  # stacked parameters are leaves: each gets the ensemble's gradient
print("predictions", tuple(predictions.shape), "weight gradient", tuple(params["0.weight"].grad.shape))
