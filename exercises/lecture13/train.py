"""Lecture 13 · RNN classifier / 循环神经网络高级篇: training and prediction.

A loader over a NameDataset yields (names, countries): a tuple of strings and
a Long tensor of class indices.  `device` is where the model is: move the
padded names and the targets there; the lengths stay on the CPU.
"""
import torch

from names_data import names_to_tensor


def train_epoch(model, loader, criterion, optimizer, device="cpu") -> float:
    """One pass over `loader` (forward, loss, zero_grad, backward, step per batch); return the mean batch loss."""
    # TODO: your code here
    raise NotImplementedError("lecture13/train.py: fill in train_epoch")


def predict(model, names, device="cpu") -> torch.Tensor:
    """The predicted class index of each name, a Long tensor (len(names),) in the order of `names`
    (eval mode, no graph)."""
    # TODO: your code here
    raise NotImplementedError("lecture13/train.py: fill in predict")


if __name__ == "__main__":
    from pathlib import Path

    from torch.utils.data import DataLoader

    from classifier import RNNClassifier
    from names_data import NameDataset

    # the surnames shipped with the grader (see grader/data/README.md)
    root = Path(__file__).resolve().parents[2] / "grader" / "data" / "names"
    train_set, test_set = NameDataset(root / "names_train.csv.gz"), NameDataset(root / "names_test.csv.gz")
    torch.manual_seed(0)
    loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = RNNClassifier(128, 32, len(train_set.country_list)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    criterion = torch.nn.CrossEntropyLoss()
    truth = torch.tensor([test_set[i][1] for i in range(len(test_set))])
    for epoch in range(5):
        loss = train_epoch(model, loader, criterion, optimizer, device)
        accuracy = (predict(model, test_set.names, device) == truth).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss:.3f}, accuracy on the test split {accuracy:.3f}")
    for name in ("Nakamura", "Papadopoulos", "Kowalski", "Rossi"):
        print(name, "->", train_set.country_list[predict(model, [name], device).item()])
