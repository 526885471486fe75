"""Lecture 12 · Basic RNN / 循环神经网络基础篇

An RNN cell is one Linear layer shared by every time step: the hidden state
h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) carries what the sequence
has shown so far from one step to the next.
"""
import torch
from torch import nn


def rnn_cell_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of an RNN cell, written by hand (what nn.RNNCell computes).

    x: (batch, input_size), h: (batch, hidden_size); weight_ih: (hidden_size, input_size),
    weight_hh: (hidden_size, hidden_size), bias_ih and bias_hh: (hidden_size,).
    Returns the new hidden state, (batch, hidden_size).  Use tensor operations only, so
    that autograd can follow the computation back to the weights.
    """
    # TODO: your code here
    raise NotImplementedError("lecture12/rnn_cell.py: fill in rnn_cell_step")


def run_rnn_cell(cell: nn.RNNCell, inputs, hidden):
    """Run `cell` over a whole sequence, as nn.RNN (one layer) does.

    inputs: (seq_len, batch, input_size), hidden: the initial state h_0, (batch, hidden_size).
    Returns (output, h_n) shaped like nn.RNN's: output (seq_len, batch, hidden_size) holds the
    hidden state after every step; h_n (1, batch, hidden_size) is the last one (1 = num_layers).
    """
    # TODO: your code here
    raise NotImplementedError("lecture12/rnn_cell.py: fill in run_rnn_cell")


if __name__ == "__main__":
    torch.manual_seed(0)
    cell = nn.RNNCell(input_size=4, hidden_size=2)
    inputs = torch.randn(3, 1, 4)     # seq_len 3, batch 1, input_size 4
    output, h_n = run_rnn_cell(cell, inputs, torch.zeros(1, 2))
    print("output", tuple(output.shape), "h_n", tuple(h_n.shape))
    step = rnn_cell_step(inputs[0], torch.zeros(1, 2), cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    print("by hand equals nn.RNNCell:", torch.allclose(step, output[0]))
