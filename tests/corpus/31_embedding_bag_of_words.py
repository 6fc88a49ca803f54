"""An embedding table: only the rows that were looked up get gradient."""
import torch
import torch.nn as nn

torch.manual_seed(17)
vocab = {"the": 0, "cat": 1, "sat": 2, "mat": 3, "on": 4}
embed = nn.Embedding(len(vocab), 3)
sentence = "the cat sat on the mat".split()
ids = torch.tensor([vocab[word] for word in sentence])
sentence_vector = embed(ids).mean(dim=0)
score = sentence_vector @ torch.tensor([1.0, -1.0, 0.5])
score.backward()
print(embed.weight.grad)
