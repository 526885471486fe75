"""Lecture 13 · RNN classifier / 循环神经网络高级篇: the model.

Embedding -> bidirectional GRU -> Linear.  The GRU reads the packed batch
(pack_padded_sequence), so it stops at each name's own length and padding
never changes a prediction; the last hidden states of the two directions,
concatenated, are the features of the name.
"""
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


class RNNClassifier(nn.Module):
    """Embedding(input_size, hidden_size) -> GRU(hidden_size, hidden_size, n_layers, bidirectional)
    -> Linear(hidden_size * n_directions, output_size).  Keep the names `embedding`, `gru`, `fc`.

    forward(input, seq_lengths): input Long (batch, seq_len) zero-padded, seq_lengths (batch,) in any
    order (not sorted); returns scores (batch, output_size).  With two directions the features are
    torch.cat([hidden[-1], hidden[-2]], dim=1): the last layer's backward and forward final states.
    """

    def __init__(self, input_size, hidden_size, output_size, n_layers=1, bidirectional=True):
        super().__init__()
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.n_directions = 2 if bidirectional else 1
        # BEGIN SOLUTION
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, n_layers, bidirectional=bidirectional)
        self.fc = nn.Linear(hidden_size * self.n_directions, output_size)
        # END SOLUTION

    def forward(self, input, seq_lengths):
        # BEGIN SOLUTION
        input = input.t()                                      # (seq_len, batch): the GRU's default layout
        batch_size = input.size(1)
        hidden = torch.zeros(self.n_layers * self.n_directions, batch_size, self.hidden_size, device=input.device)
        embedding = self.embedding(input)                      # (seq_len, batch, hidden_size)
        # lengths stay on the CPU; enforce_sorted=False lets the batch keep its order
        packed = pack_padded_sequence(embedding, seq_lengths.cpu(), enforce_sorted=False)
        _, hidden = self.gru(packed, hidden)                   # hidden: (n_layers * n_directions, batch, hidden)
        if self.n_directions == 2:
            features = torch.cat([hidden[-1], hidden[-2]], dim=1)
        else:
            features = hidden[-1]
        return self.fc(features)
        # END SOLUTION


if __name__ == "__main__":
    model = RNNClassifier(128, 100, 18, n_layers=2)
    print(sum(p.numel() for p in model.parameters()), "parameters")   # the lecture's 318,818
