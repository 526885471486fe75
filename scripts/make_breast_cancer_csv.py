"""Build the shipped breast-cancer table (run once by a maintainer; needs scikit-learn).

Source: scikit-learn's bundled `load_breast_cancer`, a copy of the UCI "Breast Cancer
Wisconsin (Diagnostic)" data set (W. H. Wolberg, W. N. Street, O. L. Mangasarian, 1995;
UCI Machine Learning Repository, CC BY 4.0): 569 tumours, 30 real-valued features computed
from images of fine-needle aspirates, target 0 = malignant (212), 1 = benign (357).

A seeded permutation splits the rows two ways:

  breast_cancer.csv   419 rows  public: the worker and learners train on them
  eval/eval.csv       150 rows  hidden: only the grader's process reads the labels

Each feature is standardised with the mean and (population) standard deviation of the 419
public rows -- (value - mean) / std -- and written with 4 decimals; the last column is the
label.  No header, comma-separated, like the course's diabetes.csv, so that
`np.loadtxt(path, delimiter=",", dtype=np.float32)` reads it.
"""
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "grader" / "data" / "breast_cancer")
SEED = 20261122
N_EVAL = 150


def write(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = (",".join([*(f"{v:.4f}" for v in features), str(int(label))]) for features, label in zip(x, y))
    path.write_text("\n".join(rows) + "\n", encoding="ascii")


def main() -> None:
    data = load_breast_cancer()
    x, y = data.data, data.target
    order = np.random.RandomState(SEED).permutation(len(y))
    public, hidden = order[N_EVAL:], order[:N_EVAL]
    mean, std = x[public].mean(axis=0), x[public].std(axis=0)
    z = (x - mean) / std
    write(OUT / "breast_cancer.csv", z[public], y[public])
    write(OUT / "eval" / "eval.csv", z[hidden], y[hidden])
    (OUT / "columns.txt").write_text("\n".join([*data.feature_names, "target (0 = malignant, 1 = benign)"]) + "\n",
                                     encoding="ascii")
    print(f"public {len(public)} rows ({y[public].mean():.3f} benign), eval {len(hidden)} rows "
          f"({y[hidden].mean():.3f} benign) -> {OUT}")


if __name__ == "__main__":
    main()
