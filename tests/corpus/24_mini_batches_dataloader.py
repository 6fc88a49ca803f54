"""Mini-batches from a DataLoader over a TensorDataset."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(11)
features = torch.randn(40, 4)
labels = (features.sum(dim=1) > 0).long()
loader = DataLoader(TensorDataset(features, labels), batch_size=10, shuffle=True)
classifier = nn.Linear(4, 2)
opt = torch.optim.SGD(classifier.parameters(), lr=0.5)
for epoch in range(5):
    for batch_x, batch_y in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(classifier(batch_x), batch_y)
        loss.backward()
        opt.step()
accuracy = (classifier(features).argmax(dim=1) == labels).float().mean().item()
print(f"accuracy {accuracy:.2f}")
