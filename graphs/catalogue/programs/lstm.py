import torch
import torch.nn as nn
import torch.nn.functional as F

# An LSTM over a sequence of 200 vectors, its cell written out gate by gate;
# a linear readout of the last hidden state predicts one number.
STEPS = 200


class LSTMCell(nn.Module):
    def __init__(self, features, hidden):
        super().__init__()
        # One linear map computes all four gates from the input and the last hidden state.
        self.gates = nn.Linear(features + hidden, 4 * hidden)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
        input_gate, forget_gate, output_gate = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
        c = forget_gate * c + input_gate * torch.tanh(g)
        h = output_gate * torch.tanh(c)
        return h, c


class LSTM(nn.Module):
    def __init__(self, features=16, hidden=32):
        super().__init__()
        self.hidden = hidden
        self.cell = LSTMCell(features, hidden)
        self.readout = nn.Linear(hidden, 1)

    def forward(self, sequence):
        h = c = torch.zeros(sequence.shape[1], self.hidden)
        for x_t in sequence:
            h, c = self.cell(x_t, (h, c))
        return self.readout(h)


torch.manual_seed(0)
model = LSTM()
sequence = torch.randn(STEPS, 1, 16)
target = torch.tensor([[1.0]])

prediction = model(sequence)
loss = F.mse_loss(prediction, target)
loss.backward()
print(loss)
print(model.cell.gates.weight.grad.norm())
