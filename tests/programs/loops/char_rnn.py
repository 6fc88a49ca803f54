"""A character-level RNN from scratch (min-char-rnn style): one-hot inputs,
hidden state through tanh, softmax cross-entropy at every character, trained
by hand with plain tensors."""

import torch
import torch.nn.functional as F

torch.manual_seed(1)
text = "hello autograd, hello graphs. "
chars = sorted(set(text))
vocab, hidden, seq_length = len(chars), 24, 20
index = {c: i for i, c in enumerate(chars)}
data = torch.tensor([index[c] for c in text])

Wxh = (torch.randn(hidden, vocab) * 0.1).requires_grad_()
Whh = (torch.randn(hidden, hidden) * 0.1).requires_grad_()
Why = (torch.randn(vocab, hidden) * 0.1).requires_grad_()
bh = torch.zeros(hidden, requires_grad=True)
by = torch.zeros(vocab, requires_grad=True)
params = [Wxh, Whh, Why, bh, by]

for iteration in range(30):
    h = torch.zeros(hidden)
    loss = torch.zeros(())
    for t in range(seq_length):
        x = F.one_hot(data[t], vocab).float()
        h = torch.tanh(Wxh @ x + Whh @ h + bh)
        logits = Why @ h + by
        loss = loss + F.cross_entropy(logits.unsqueeze(0), data[t + 1].unsqueeze(0))
    loss = loss / seq_length
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= 0.5 * p.grad
    if iteration % 10 == 0:
        print(f"iteration {iteration}: loss {loss.item():.4f}")
