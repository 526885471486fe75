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
        # BEGIN SOLUTION
        with gzip.open(path, "rt", newline="") as f:
            rows = list(csv.reader(f))
        self.names = [row[0] for row in rows]
        self.countries = [row[1] for row in rows]
        self.country_list = sorted(set(self.countries))
        self._index = {country: i for i, country in enumerate(self.country_list)}
        # END SOLUTION

    def __getitem__(self, index):
        # BEGIN SOLUTION
        return self.names[index], self._index[self.countries[index]]
        # END SOLUTION

    def __len__(self):
        # BEGIN SOLUTION
        return len(self.names)
        # END SOLUTION


def names_to_tensor(names):
    """A batch of names as (seq, lengths), keeping the order of `names`.

    seq: Long (batch, longest length), row i holds the ASCII codes (ord) of names[i] followed by
    zeros; lengths: Long (batch,) on the CPU, the length of each name.
    """
    # BEGIN SOLUTION
    lengths = torch.tensor([len(name) for name in names], dtype=torch.long)
    seq = torch.zeros(len(names), int(lengths.max()), dtype=torch.long)
    for i, name in enumerate(names):
        seq[i, :len(name)] = torch.tensor([ord(c) for c in name], dtype=torch.long)
    return seq, lengths
    # END SOLUTION


if __name__ == "__main__":
    seq, lengths = names_to_tensor(["Li", "Smirnov", "Abe"])
    print(seq)
    print(lengths)
