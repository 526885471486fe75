"""Learners in Jupyter: notebooks written by ``grader init --notebooks``, checked by ``grader check`` and
from inside a real Jupyter kernel (nbclient + ipykernel) with ``grader.check(...)``, which grades the
saved notebook in a grader process of its own (never in the kernel) and shows the report inline as HTML.

Lecture 05 only (each grading takes seconds): an untouched notebook is "not attempted", a solved one in
the course's own style (``import matplotlib.pyplot as plt``, a training run and a loss curve at the top
level, ``plt.show()`` inside a graded function) gets full marks with a note on what was left out, a wrong
one names its mistake; the reports are in Chinese where the notebook asks for it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import REPO, SOLUTIONS, run_grader

nbformat = pytest.importorskip("nbformat")

SOLVED_IN_CELLS = [  # a learner's notebook written without %%writefile cells: graded by the shared-cell rule
    "import torch\nfrom torch import nn\nimport matplotlib.pyplot as plt",
    "class LinearModel(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.linear = nn.Linear(1, 1)\n\n    def forward(self, x):\n        return self.linear(x)",
    "def make_criterion():\n    return nn.MSELoss(reduction='sum')\n\n"
    "def make_optimizer(model, lr):\n    return torch.optim.SGD(model.parameters(), lr=lr)\n\n"
    "def train(model, criterion, optimizer, x, y, epochs):\n    losses = []\n    for epoch in range(epochs):\n"
    "        loss = criterion(model(x), y)\n        losses.append(loss.item())\n        optimizer.zero_grad()\n"
    "        loss.backward()\n        optimizer.step()\n    plt.plot(losses)\n    plt.show()  # in the grader's worker too\n"
    "    return losses\n\n"
    "def predict(model, x):\n    with torch.no_grad():\n        return model(torch.tensor([[float(x)]])).item()",
    "x_data = torch.tensor([[1.0], [2.0], [3.0]])\ny_data = torch.tensor([[2.0], [4.0], [6.0]])\n"
    "model = LinearModel()\nlosses = train(model, make_criterion(), make_optimizer(model, 0.01), x_data, y_data, 100)\n"
    "print('w =', model.linear.weight.item())\nplt.plot(losses)\nplt.xlabel('epoch')\nplt.ylabel('loss')\nplt.show()",
]


def _init(folder: Path, lang: str) -> Path:
    r = run_grader("--lang", lang, "init", "--notebooks", str(folder))
    assert r.returncode == 0, r.stderr
    return folder / "lecture05.ipynb"


def _with_files(path: Path, files: dict[str, str]) -> None:
    """Put ``files`` (name -> text) into the notebook's %%writefile cells, as a learner's edits would."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("%%writefile "):
            name = cell.source.split("\n", 1)[0].split()[1]
            if name in files:
                cell.source = f"%%writefile {name}\n{files[name]}"
    nbformat.write(nb, str(path))


def _solution(name: str) -> str:
    return (SOLUTIONS / "lecture05" / name).read_text(encoding="utf-8")


def test_init_writes_a_notebook_per_lecture_in_the_chosen_language(tmp_path):
    path = _init(tmp_path / "zh", "zh")
    assert sorted(p.name for p in path.parent.glob("*.ipynb"))[0] == "lecture01.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    text = "\n".join(c.source for c in nb.cells)
    assert "用PyTorch实现线性回归" in text and "## 任务" in text and "## Tasks" not in text
    assert [c.source.split("\n", 1)[0] for c in nb.cells if c.source.startswith("%%writefile")] == \
        ["%%writefile linear_model.py", "%%writefile training.py"]
    assert nb.cells[-1].source == 'import grader\ngrader.check("lecture05", lang="zh")'
    en = nbformat.read(str(_init(tmp_path / "en", "en")), as_version=4)
    assert "## Tasks" in "\n".join(c.source for c in en.cells) and en.cells[-1].source.endswith('check("lecture05")')
    again = run_grader("init", "--notebooks", str(tmp_path / "en"))
    assert again.returncode == 2 and "already exists" in again.stderr


def _run_in_jupyter(path: Path, monkeypatch) -> dict:
    """Execute the notebook in a real kernel (cwd: its folder); the last cell's display data."""
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel imports this checkout's grader, in English unless the notebook says otherwise
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("GRADER_LANG", raising=False)
    nb = nbformat.read(str(path), as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    (out,) = [o for o in nb.cells[-1].outputs if o.output_type == "execute_result"]
    assert "text/html" in out.data, "grader.check shows its report as HTML (a rich display), not printed text"
    return out.data


@pytest.mark.grading
def test_notebooks_checked_inside_jupyter(tmp_path, monkeypatch):
    untouched = _init(tmp_path / "untouched", "zh")
    html = _run_in_jupyter(untouched, monkeypatch)["text/html"]
    assert 'lang="zh-CN"' in html and "0 / 11" in html and html.count("未作答") >= 8
    assert "用PyTorch实现线性回归" in html and "not attempted" not in html

    wrong = _init(tmp_path / "wrong", "zh")
    _with_files(wrong, {"linear_model.py": _solution("linear_model.py"),
                        "training.py": _solution("training.py").replace('reduction="sum"', 'reduction="mean"')})
    html = _run_in_jupyter(wrong, monkeypatch)["text/html"]
    assert "损失是 7，即平方误差的平均值" in html and "reduction=&#39;sum&#39;" in html and "未通过" in html
    assert (tmp_path / "wrong" / "training.py").is_file()  # the %%writefile cells ran in the kernel

    solved = tmp_path / "solved" / "lecture05.ipynb"
    solved.parent.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in SOLVED_IN_CELLS]
                                  + [nbformat.v4.new_code_cell('import grader\ngrader.check("lecture05", lang="zh")')])
    nbformat.write(nb, str(solved))
    html = _run_in_jupyter(solved, monkeypatch)["text/html"]
    assert "11 / 11" in html and "未作答" not in html and "未通过" not in html
    assert "条顶层语句未计入" in html  # the training run and the plot at the top level: said, kindly


@pytest.mark.grading
def test_grader_check_finds_and_grades_a_notebook(tmp_path):
    wrong = _init(tmp_path / "course", "en")
    _with_files(wrong, {"linear_model.py": _solution("linear_model.py"),
                        "training.py": _solution("training.py").replace('reduction="sum"', 'reduction="mean"')})
    r = run_grader("check", str(wrong), cwd=tmp_path)          # a notebook's path
    assert r.returncode == 1, r.stderr
    assert "the loss is 7, the mean of the squared errors" in r.stdout
    assert "graded the notebook lecture05.ipynb" in r.stdout
    shutil.rmtree(tmp_path / "course" / ".grader", ignore_errors=True)
    r = run_grader("--lang", "zh", "check", "lecture05", "-q", cwd=wrong.parent)   # the lecture's notebook here
    assert r.returncode == 1 and "损失是 7" in r.stdout and "得分：" in r.stdout
