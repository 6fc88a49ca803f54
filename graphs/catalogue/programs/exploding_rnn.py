import torch

torch.manual_seed(0)
W = (1.6 * torch.linalg.qr(torch.randn(8, 8))[0]).requires_grad_()
U = (0.5 * torch.randn(4, 8)).requires_grad_()
xs = torch.randn(20, 4)
target = torch.randn(8)
for step in range(6):
    h = torch.zeros(8)
    for x in xs:
        h = h @ W + x @ U
    loss = (h - target).pow(2).mean()
    loss.backward()
    with torch.no_grad():
        for p in (W, U):
            p -= 0.01 * p.grad
            p.grad = None
    print(step, loss.item())
