"""A script laid out with main() under `if __name__ == "__main__":`, training a tiny classifier."""
import torch
import torch.nn as nn


class TinyNet(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def make_data(n):
    x = torch.randn(n, 2)
    labels = (x[:, 0] * x[:, 1] > 0).long()  # which pair of quadrants a point is in
    return x, labels


def train(model, x, labels, epochs=60):
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(x), labels)
        loss.backward()
        opt.step()
        if epoch % 20 == 0:
            print(f"epoch {epoch:2d} loss {loss.item():.4f}")
    return loss.item()


def main():
    torch.manual_seed(59)
    x, labels = make_data(64)
    model = TinyNet(2, 12, 2)
    final_loss = train(model, x, labels)
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == labels).float().mean()
    print(f"final loss {final_loss:.4f}, training accuracy {accuracy.item():.2f}")
    return model


if __name__ == "__main__":
    model = main()  # kept at module level, so its parameters can be looked at afterwards
