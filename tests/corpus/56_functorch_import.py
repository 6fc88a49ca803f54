"""The functorch package (shipped inside the torch wheel), as older tutorials import it."""
import functorch
import torch
from functorch import grad, vmap

torch.manual_seed(56)
w = torch.randn(4, requires_grad=True)
points = torch.randn(5, 4)


def model(x):
    return torch.sin(x @ w)


slopes = vmap(grad(model))(points)  # d model / d x at each point
loss = model(points[0]) ** 2 + slopes.pow(2).sum()
loss.backward()
print("functorch", functorch.__version__ if hasattr(functorch, "__version__") else "", w.grad)
