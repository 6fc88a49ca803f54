import torch
import torch.nn as nn
import torch.nn.functional as F

# One RNN cell applied 500 times, step after step, to a sequence of 500
# vectors; a linear readout of the last state predicts one number. Every
# step uses the same two weight matrices.
STEPS = 500


class UnrolledRNN(nn.Module):
    def __init__(self, features=16, hidden=32):
        super().__init__()
        self.cell = nn.RNNCell(features, hidden)
        self.readout = nn.Linear(hidden, 1)

    def forward(self, sequence):
        state = torch.zeros(sequence.shape[1], self.cell.hidden_size)
        for x_t in sequence:
            state = self.cell(x_t, state)
        return self.readout(state)


torch.manual_seed(0)
model = UnrolledRNN()
sequence = torch.randn(STEPS, 1, 16)
target = torch.tensor([[1.0]])

prediction = model(sequence)
loss = F.mse_loss(prediction, target)
loss.backward()
print(loss)
print(model.cell.weight_hh.grad.norm())
