"""A character bigram model trained by gradient descent on a few names."""
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia"]
chars = sorted(set("".join(words)))
stoi = {ch: i + 1 for i, ch in enumerate(chars)}
stoi["."] = 0
xs, ys = [], []
for word in words:
    padded = ["."] + list(word) + ["."]
    for first, second in zip(padded, padded[1:]):
        xs.append(stoi[first])
        ys.append(stoi[second])
xs, ys = torch.tensor(xs), torch.tensor(ys)
g = torch.Generator().manual_seed(2147483647)
W = torch.randn((len(stoi), len(stoi)), generator=g, requires_grad=True)
for k in range(50):
    logits = F.one_hot(xs, num_classes=len(stoi)).float() @ W
    loss = F.cross_entropy(logits, ys) + 0.01 * (W ** 2).mean()
    W.grad = None
    loss.backward()
    W.data += -10 * W.grad
print(f"loss {loss.item():.4f}")
