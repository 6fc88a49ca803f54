"""A gradient reversal layer made with hooks, as in domain-adversarial training."""
import torch

torch.manual_seed(50)
features_w = torch.randn(4, 3, requires_grad=True)
domain_w = torch.randn(3, 1, requires_grad=True)
x = torch.randn(5, 4)

features = x @ features_w
features.register_hook(lambda grad: -0.5 * grad)  # reverse and scale on the way back
domain_logit = (features.relu() @ domain_w).squeeze(1)
domain_logit.register_hook(lambda grad: grad / grad.norm())  # a hook on the root itself
domain_logit.backward(torch.ones(5))
print("domain head gradient:", domain_w.grad.squeeze().tolist())
print("feature gradient (reversed):", features_w.grad[0].tolist())
