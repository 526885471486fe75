"""Lecture 08 · Dataset and DataLoader / 加载数据集: mini-batch training.

Two loops: the outer one over epochs (一轮 = every sample once), the inner one over
the loader's mini-batches (one iteration = one batch = one optimizer step).

Run this file to train on the shipped table with two loader worker processes.  The
training code is under `if __name__ == "__main__":` because every worker process
re-imports this file under the "spawn" start method; at the top level it would run
again in each of them (on Windows: "An attempt has been made to start a new process
before the current process has finished its bootstrapping phase").
"""
import torch


def train(model, loader, criterion, optimizer, epochs: int) -> list[float]:
    """`epochs` passes over `loader`, one optimizer step per mini-batch; return each epoch's
    mean batch loss as a Python float."""
    # TODO: your code here
    raise NotImplementedError("lecture08/training.py: fill in train")


if __name__ == "__main__":
    from torch import nn

    from dataset import CSV_PATH, TableDataset, make_loader

    torch.manual_seed(0)
    dataset = TableDataset(CSV_PATH)
    train_set, test_set = torch.utils.data.random_split(dataset, [319, 100], generator=torch.Generator().manual_seed(0))
    train_loader = make_loader(train_set, batch_size=32, shuffle=True, seed=0, num_workers=2)
    model = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = train(model, train_loader, nn.BCELoss(), optimizer, epochs=10)
    print("mean loss per epoch:", " ".join(f"{v:.3f}" for v in history))
    model.eval()
    with torch.no_grad():
        x_test = torch.stack([x for x, _ in test_set])
        y_test = torch.stack([y for _, y in test_set])
        accuracy = ((model(x_test) >= 0.5).float() == y_test).float().mean().item()
    print(f"accuracy on 100 held-out rows: {accuracy:.3f}")
