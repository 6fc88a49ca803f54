"""Word vectors with sparse gradients: nn.Embedding(sparse=True) trained by SparseAdam."""
import torch
import torch.nn as nn

torch.manual_seed(58)
vocabulary = ["the", "cat", "sat", "on", "mat", "dog"]
index = {word: i for i, word in enumerate(vocabulary)}
embedding = nn.Embedding(len(vocabulary), 4, sparse=True)
context = nn.Linear(4, len(vocabulary))
sparse_opt = torch.optim.SparseAdam(list(embedding.parameters()), lr=0.05)
dense_opt = torch.optim.Adam(context.parameters(), lr=0.05)
pairs = [("the", "cat"), ("cat", "sat"), ("sat", "on"), ("on", "the"), ("the", "mat")]
words = torch.tensor([index[a] for a, _ in pairs])
following = torch.tensor([index[b] for _, b in pairs])
for epoch in range(30):
    sparse_opt.zero_grad()
    dense_opt.zero_grad()
    loss = nn.functional.cross_entropy(context(embedding(words)), following)
    loss.backward()  # only the rows of the words seen get a gradient
    sparse_opt.step()
    dense_opt.step()
print(f"loss {loss.item():.3f}; rows with a gradient: {embedding.weight.grad.coalesce().indices().tolist()}")
