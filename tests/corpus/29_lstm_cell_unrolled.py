"""An LSTM cell unrolled over a short sequence."""
import torch
import torch.nn as nn

torch.manual_seed(15)
cell = nn.LSTMCell(input_size=2, hidden_size=3)
readout = nn.Linear(3, 1)
sequence = torch.randn(4, 1, 2)
h = torch.zeros(1, 3)
c = torch.zeros(1, 3)
for x_t in sequence:
    h, c = cell(x_t, (h, c))
prediction = readout(h)
loss = (prediction - 1.0).pow(2).sum()
loss.backward()
print(f"loss {loss.item():.4f}")
