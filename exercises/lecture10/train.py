"""Lecture 10 · Basic CNN / 卷积神经网络基础篇: training and evaluating on a device.

`device` is a torch.device (or "cpu" / "cuda"): the model is already on it; move every batch
there too.  Run this file to train the course's Net on the shipped digit images.
"""
import torch


def train_one_epoch(model, loader, optimizer, criterion, device) -> float:
    """One pass over `loader`; return the mean of the batch losses (a Python float)."""
    # TODO: your code here
    raise NotImplementedError("lecture10/train.py: fill in train_one_epoch")


def evaluate(model, loader, device) -> float:
    """The fraction of correctly classified samples in `loader` (between 0 and 1)."""
    # TODO: your code here
    raise NotImplementedError("lecture10/train.py: fill in evaluate")


if __name__ == "__main__":
    from pathlib import Path

    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    from net import Net

    # the digit images shipped with the grader, in MNIST's format (see grader/data/README.md)
    root = Path(__file__).resolve().parents[2] / "grader" / "data" / "digits"
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(root, train=True, download=False, transform=transform)
    test_set = datasets.MNIST(root, train=False, download=False, transform=transform)
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    test_loader = DataLoader(test_set, batch_size=256)
    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = Net().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    criterion = torch.nn.CrossEntropyLoss()
    for epoch in range(4):
        loss = train_one_epoch(model, train_loader, optimizer, criterion, device)
        print(f"epoch {epoch + 1}: loss {loss:.3f}, accuracy on the test split {evaluate(model, test_loader, device):.3f}")
