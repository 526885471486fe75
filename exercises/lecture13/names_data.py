"""Lecture 13 · RNN classifier / 循环神经网络高级篇: names as data.

A names file holds rows `name,country` (gzipped CSV, no header), like the
lecture's names_train.csv.gz.  A name becomes a sequence of ASCII codes; a
batch of names of different lengths becomes one zero-padded Long tensor plus
the true length of each name, which pack_padded_sequence needs later.
"""
import csv
import gzip

import torch
from torch.utils.data import Dataset


class NameDataset(Dataset):
    """The rows of one names file.

    Keep three attributes: `names` (the names, in file order), `countries` (each row's country)
    and `country_list` (the distinct countries, sorted: class i is country_list[i]).
    dataset[i] is (name, class index of its country); len(dataset) is the number of rows.
    """

    def __init__(self, path):
        # TODO: your code here
        raise NotImplementedError("lecture13/names_data.py: fill in NameDataset.__init__")

    def __getitem__(self, index):
        # TODO: your code here
        raise NotImplementedError("lecture13/names_data.py: fill in NameDataset.__getitem__")

    def __len__(self):
        # TODO: your code here
        raise NotImplementedError("lecture13/names_data.py: fill in NameDataset.__len__")


def names_to_tensor(names):
    """A batch of names as (seq, lengths), keeping the order of `names`.

    seq: Long (batch, longest length), row i holds the ASCII codes (ord) of names[i] followed by
    zeros; lengths: Long (batch,) on the CPU, the length of each name.
    """
    # TODO: your code here
    raise NotImplementedError("lecture13/names_data.py: fill in names_to_tensor")


if __name__ == "__main__":
    seq, lengths = names_to_tensor(["Li", "Smirnov", "Abe"])
    print(seq)
    print(lengths)
