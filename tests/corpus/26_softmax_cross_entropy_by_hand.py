"""Cross-entropy written out by hand equals F.cross_entropy."""
import torch
import torch.nn.functional as F

logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requires_grad=True)
target = torch.tensor([0, 2])
log_probs = logits - logits.logsumexp(dim=1, keepdim=True)
by_hand = -log_probs[torch.arange(2), target].mean()
assert torch.isclose(by_hand, F.cross_entropy(logits, target))
by_hand.backward()
print(logits.grad)
