"""A GRU written gate by gate (d2l's from-scratch chapter), unrolled over 100 steps."""

import torch

torch.manual_seed(2)
steps, inputs, hidden = 100, 6, 12


def three():
    return (
        (torch.randn(inputs, hidden) * 0.1).requires_grad_(),
        (torch.randn(hidden, hidden) * 0.1).requires_grad_(),
        torch.zeros(hidden, requires_grad=True),
    )


W_xz, W_hz, b_z = three()  # update gate
W_xr, W_hr, b_r = three()  # reset gate
W_xh, W_hh, b_h = three()  # candidate hidden state
W_hq = (torch.randn(hidden, 1) * 0.1).requires_grad_()
b_q = torch.zeros(1, requires_grad=True)

X = torch.randn(steps, 1, inputs)
H = torch.zeros(1, hidden)
outputs = []
for X_t in X:
    Z = torch.sigmoid(X_t @ W_xz + H @ W_hz + b_z)
    R = torch.sigmoid(X_t @ W_xr + H @ W_hr + b_r)
    H_tilde = torch.tanh(X_t @ W_xh + (R * H) @ W_hh + b_h)
    H = Z * H + (1 - Z) * H_tilde
    outputs.append(H @ W_hq + b_q)
loss = torch.cat(outputs).pow(2).mean()
loss.backward()
print(f"loss {loss.item():.4f}")
