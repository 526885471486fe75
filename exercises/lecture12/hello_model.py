"""Lecture 12 · Basic RNN / 循环神经网络基础篇

Learn "hello" -> "ohlol": an Embedding turns each character's index into a
dense vector, a two-layer RNN reads the sequence, a Linear layer scores the
four characters at every step, and CrossEntropyLoss compares each step with
its target.  (The one-hot RNN of the lecture does not learn it reliably in 15
epochs; the embedding version does.)
"""
import torch
from torch import nn

from encoding import IDX2CHAR, encode

NUM_CLASS = 4       # e, h, l, o
EMBEDDING_SIZE = 10
HIDDEN_SIZE = 8
NUM_LAYERS = 2


class HelloModel(nn.Module):
    """Embedding(4, 10) -> RNN(10, 8, num_layers=2, batch_first=True) -> Linear(8, 4).

    Keep the layers' names `emb`, `rnn`, `fc`.  forward takes Long indices of shape
    (batch, seq_len), starts from a zero hidden state, and returns the scores of every
    step as (batch * seq_len, 4), the shape CrossEntropyLoss wants with (batch * seq_len,) targets.
    """

    def __init__(self):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError("lecture12/hello_model.py: fill in HelloModel.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: your code here
        raise NotImplementedError("lecture12/hello_model.py: fill in HelloModel.forward")


def train_hello(model, criterion, optimizer, inputs, labels, epochs: int) -> list[float]:
    """Train on one batch for `epochs` steps (forward, loss, zero_grad, backward, step);
    return each step's loss as a Python float.  inputs: (batch, seq_len) Long, labels: (batch * seq_len,) Long."""
    # TODO: your code here
    raise NotImplementedError("lecture12/hello_model.py: fill in train_hello")


def predict_hello(model, inputs) -> str:
    """The string the model predicts for `inputs` (batch 1): the highest-scoring character at
    every step, written with IDX2CHAR (from encoding.py).  No graph is needed to predict."""
    # TODO: your code here
    raise NotImplementedError("lecture12/hello_model.py: fill in predict_hello")


if __name__ == "__main__":
    torch.manual_seed(0)
    inputs, labels = encode("hello").view(1, -1), encode("ohlol")
    model = HelloModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = train_hello(model, nn.CrossEntropyLoss(), optimizer, inputs, labels, 15)
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}; predicted: {predict_hello(model, inputs)}")
