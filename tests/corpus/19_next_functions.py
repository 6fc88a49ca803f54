"""Walking the graph by hand through grad_fn.next_functions."""
import torch

a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(5.0, requires_grad=True)
c = a * b + torch.log(b)
names = []
stack = [c.grad_fn]
while stack:
    node = stack.pop()
    names.append(type(node).__name__)
    stack.extend(child for child, _ in node.next_functions if child is not None)
print(" -> ".join(names))
c.backward()
print(a.grad, b.grad)
