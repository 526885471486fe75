"""Hidden checks of lecture 01, tensor basics.

Inputs are made here from fixed generators and expected values computed here;
the worker only runs the learner's functions (and, for the NumPy bridge, a glue
helper that writes through one side and reports what the other side sees).
"""

import torch

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (LearnerError, NotAttempted, expect_close, expect_dtype, expect_shape, expect_tensor,
                               fail, glue, randn)

def test_float_tensor(learner):
    """float_tensor(values) makes a float32 tensor of the values' shape, also from Python ints and from a single number."""
    got = expect_shape(learner.call("float_tensor", [[1, 2], [3, 4]]), (2, 2), "float_tensor([[1, 2], [3, 4]])")
    if got.dtype != torch.float32:
        fail(_("float_tensor([[1, 2], [3, 4]]) has dtype {dtype}; torch.tensor infers int64 from Python "
               "ints: pass dtype=torch.float32").format(dtype=got.dtype))
    expect_close(got, torch.tensor([[1.0, 2.0], [3.0, 4.0]]), "float_tensor([[1, 2], [3, 4]])")
    one = learner.call("float_tensor", 2.5)
    expect_close(expect_dtype(one, torch.float32, "float_tensor(2.5)"), torch.tensor(2.5), _("float_tensor(2.5) (a 0-dim tensor)"))


def test_index_range(learner):
    """index_range(n) is the int64 tensor [0, 1, ..., n-1] of shape (n,), for n = 5 and n = 1."""
    for n in (5, 1):
        got = expect_shape(learner.call("index_range", n), (n,), f"index_range({n})")
        if got.dtype != torch.int64:
            fail(_("index_range({n}) has dtype {dtype}; indexes are int64: torch.arange(n) with an int n (a "
                   "float argument or dtype=torch.float32 makes floats)").format(n=n, dtype=got.dtype))
        if n > 1 and torch.equal(got, torch.arange(1, n + 1)):
            fail(_("index_range({n}) starts at 1; torch.arange(n) counts 0, 1, ..., n-1 (the end is "
                   "excluded)").format(n=n))
        expect_close(got, torch.arange(n), f"index_range({n})")


def test_zeros_matrix(learner):
    """zeros_matrix(rows, cols) is a float32 matrix of zeros of shape (rows, cols) (checked with rows != cols)."""
    for rows, cols in ((2, 5), (3, 1)):
        got = expect_tensor(learner.call("zeros_matrix", rows, cols), f"zeros_matrix({rows}, {cols})")
        if tuple(got.shape) == (cols, rows):
            fail(_("zeros_matrix({rows}, {cols}) has shape {got_shape}: rows come first, torch.zeros(rows, "
                   "cols)").format(rows=rows, cols=cols, got_shape=tuple(got.shape)))
        expect_shape(got, (rows, cols), f"zeros_matrix({rows}, {cols})")
        expect_dtype(got, torch.float32, f"zeros_matrix({rows}, {cols})")
        if got.count_nonzero() > 0:
            fail(_("zeros_matrix({rows}, {cols}) holds non-zero values (e.g. {v2:g}): use torch.zeros "
                   "(torch.empty leaves whatever was in memory, torch.ones fills with 1)").format(rows=rows, cols=cols, v2=got.flatten()[got.flatten() != 0][0].item()))


def test_seeded_normal(learner):
    """seeded_normal(seed, rows, cols, mean, std) is reproducible (same seed, same numbers) and matches torch.manual_seed(seed) followed by torch.normal(mean, std, size=(rows, cols))."""
    first = expect_shape(learner.call("seeded_normal", 7, 3, 4, 0.0, 1.0), (3, 4), "seeded_normal(7, 3, 4)")
    again = expect_shape(learner.call("seeded_normal", 7, 3, 4, 0.0, 1.0), (3, 4), "seeded_normal(7, 3, 4) again")
    if not torch.equal(first, again):
        fail(_("two calls of seeded_normal(7, 3, 4) gave different numbers: call "
               "torch.manual_seed(seed) inside the function, before drawing"))
    big = expect_shape(learner.call("seeded_normal", 1, 200, 100, 3.0, 0.5), (200, 100), "seeded_normal(1, 200, 100, 3.0, 0.5)")
    expect_dtype(big, torch.float32, "seeded_normal(1, 200, 100, 3.0, 0.5)")
    m, s = big.double().mean().item(), big.double().std().item()
    if abs(m - 3.0) > 0.05 or abs(s - 0.5) > 0.05:
        fail(_("seeded_normal(1, 200, 100, mean=3.0, std=0.5) drew numbers with mean {m:.3f} and std "
               "{s:.3f}: torch.normal(mean, std, size=(rows, cols)) takes the standard deviation, not "
               "the variance, and mean comes first").format(m=m, s=s))
    reference = torch.normal(3.0, 0.5, size=(200, 100), generator=torch.Generator().manual_seed(1))
    expect_close(big, reference, _("seeded_normal(1, 200, 100, 3.0, 0.5) against torch.manual_seed(1); torch.normal(3.0, "
                                   "0.5, size=(200, 100))"), atol=1e-5)


def test_average_of_ints(learner):
    """average(t) is the mean of all elements as a 0-dim float32 tensor: 4.5 for arange(10), 5.5 for arange(12) reshaped to (3, 4), and float32 for a float64 input."""
    cases = ((torch.arange(10), 4.5, "arange(10)"), (torch.arange(12).reshape(3, 4), 5.5, "arange(12).reshape(3, 4)"),
             (torch.tensor([[1.0, 2.0]], dtype=torch.float64), 1.5, "a float64 tensor [[1, 2]]"))
    for t, expected, text in cases:
        try:
            got = expect_tensor(learner.call("average", t), f"average({text})")
        except NotAttempted as exc:
            # torch raises NotImplementedError for mean() of an int tensor, which the worker reports as
            # "not attempted"; only the stub's own "fill in" error really is
            if "fill in" in str(exc):
                raise
            fail(_("average({text}) raised NotImplementedError: {exc}; mean() is defined for floating-point "
                   "tensors only: convert first, t.float().mean()").format(text=text, exc=exc))
        if not got.is_floating_point():
            fail(_("average({text}) returned {dtype} {v2}: integer arithmetic drops the fraction; convert "
                   "first with t.float()").format(text=text, dtype=got.dtype, v2=got.flatten()[:1].tolist()))
        if t.dim() > 1 and got.numel() == 1 and abs(got.double().item() - t.double().sum().item() / len(t)) < 1e-4:
            fail(_("average({text}) divided the sum by len(t) = {n_t}, the number of rows; the mean of all "
                   "elements divides by t.numel() = {v2}: use t.float().mean()").format(text=text, n_t=len(t), v2=t.numel()))
        if got.numel() == 1 and abs(got.double().item() - t.double().sum().item()) < 1e-4:
            fail(_("average({text}) returned {v1:g}, the SUM of the elements: the mean divides it by their "
                   "number, t.float().mean()").format(text=text, v1=got.double().item()), cause=_("sum, not mean"))
        expect_close(got, torch.tensor(expected), f"average({text})")
        expect_dtype(got, torch.float32, f"average({text})")


def test_from_numpy_shares_memory(learner):
    """numpy_to_tensor(a) keeps the array's dtype (float64) and shares its memory: a write to the array is seen in the tensor, and a write to the tensor in the array."""
    got = glue(learner, "numpy_bridge_probe", "numpy_to_tensor", 100.0, where=_("numpy_to_tensor (tensors.py)"))
    if got["converted"] is not True:
        fail(_("numpy_to_tensor(a) did not return a torch.Tensor: use torch.from_numpy(a)"))
    before = expect_shape(got["values"], (2, 3), "numpy_to_tensor(np.arange(6.0).reshape(2, 3))")
    if before.dtype != torch.float64:
        fail(_("numpy_to_tensor of a float64 array returned {dtype}: the conversion copied and changed "
               "the dtype (torch.Tensor(a) and .float() do); torch.from_numpy(a) keeps float64 and "
               "shares memory").format(dtype=before.dtype))
    expect_close(before, torch.arange(6, dtype=torch.float64).reshape(2, 3), "numpy_to_tensor(np.arange(6.0).reshape(2, 3))")
    if got["seen_in_result"] != 100.0 or got["seen_in_source"] != -5.0:
        fail(_("the tensor and the array do not share memory: after a[0, 1] = 100 the tensor held "
               "{seen_in_result}, after t[1, 2] = -5 the array held {seen_in_source}; torch.tensor(a) "
               "copies the data: use torch.from_numpy(a)").format(seen_in_result=got['seen_in_result'], seen_in_source=got['seen_in_source']))


def test_to_numpy_shares_memory(learner):
    """tensor_to_numpy(t) works on a tensor that requires grad and returns a NumPy array sharing t's memory."""
    got = glue(learner, "numpy_bridge_probe", "tensor_to_numpy", 50.0, where=_("tensor_to_numpy (tensors.py)"))
    if got["converted"] is not True:
        fail(_("tensor_to_numpy(t) did not return a numpy.ndarray: use t.detach().numpy()"))
    expect_close(got["values"], torch.arange(6, dtype=torch.float64).reshape(2, 3), "tensor_to_numpy(t)")
    if got["seen_in_result"] != 50.0 or got["seen_in_source"] != -5.0:
        fail(_("the array does not share memory with the tensor: after t[0, 1] = 50 the array held "
               "{seen_in_result}, after a[1, 2] = -5 the tensor held {seen_in_source}; a copy was made "
               "(np.array(...), .clone(), .tolist()): t.detach().numpy() shares memory").format(seen_in_result=got['seen_in_result'], seen_in_source=got['seen_in_source']))


def test_flatten_shapes(learner):
    """flatten(x) keeps the batch dimension and flattens the rest, in order: (4, 3, 5, 5) -> (4, 75), (1, 2, 3) -> (1, 6), (6, 2) -> (6, 2)."""
    for shape, seed in (((4, 3, 5, 5), 1), ((1, 2, 3), 2), ((6, 2), 3)):
        x = randn(*shape, seed=seed)
        want = x.reshape(shape[0], -1)
        got = expect_tensor(learner.call("flatten", x), _("flatten(x) with x of shape {shape}").format(shape=shape))
        if got.dim() == 1:
            fail(_("flatten(x) with x of shape {shape} returned shape {got_shape}: the batch dimension was "
                   "flattened too; keep it: x.reshape(x.shape[0], -1)").format(shape=shape, got_shape=tuple(got.shape)))
        if got.dim() == 2 and got.shape[0] != shape[0]:
            fail(_("flatten(x) with x of shape {shape} returned shape {got_shape}: the first dimension must stay "
                   "the batch size {n}, the rest flattened after it: x.reshape(x.shape[0], -1)").format(
                shape=shape, got_shape=tuple(got.shape), n=shape[0]), cause=_("batch dimension lost"))
        expect_close(got, want, _("flatten(x) with x of shape {shape}").format(shape=shape))


def test_flatten_non_contiguous(learner):
    """flatten(x) also works when x is not contiguous: a transposed (2, 3, 4) tensor and a permuted (channels-last) image batch."""
    cases = ((randn(2, 4, 3, seed=4).transpose(1, 2), "torch.randn(2, 4, 3).transpose(1, 2)"),
             (randn(3, 2, 5, 4, seed=5).permute(0, 2, 3, 1), "torch.randn(3, 2, 5, 4).permute(0, 2, 3, 1)"))
    for x, text in cases:
        assert not x.is_contiguous()
        got = learner.call("flatten", x)
        expect_close(got, x.reshape(x.shape[0], -1), _("flatten(x) with x = {text} (not contiguous)").format(text=text))


def test_pairwise_diff(learner):
    """pairwise_diff(a, b) broadcasts a column against a row: out[i, j] = a[i] - b[j], shape (N, M), for N != M and N == M."""
    cases = ((torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.5, 1.5, 2.5, 10.0])),
             (torch.tensor([4.0, -1.0, 0.0]), torch.tensor([1.0, 2.0, 3.0])))
    for a, b in cases:
        n, m = len(a), len(b)
        got = expect_tensor(learner.call("pairwise_diff", a, b), _("pairwise_diff(a, b) with N = {n}, M = {m}").format(n=n, m=m))
        if tuple(got.shape) == (n,) and n == m:
            fail(_("pairwise_diff(a, b) with N = M = {n} returned shape ({n},): a - b subtracts element by "
                   "element; make a a column and b a row so they broadcast: a[:, None] - b[None, :]").format(n=n))
        if tuple(got.shape) == (m, n) and n != m:
            fail(_("pairwise_diff(a, b) returned shape ({m}, {n}), expected ({n}, {m}): rows follow a, "
                   "columns follow b").format(m=m, n=n))
        want = a[:, None] - b[None, :]
        expect_shape(got, (n, m), _("pairwise_diff(a, b) with N = {n}, M = {m}").format(n=n, m=m))
        if torch.allclose(got, -want):
            fail(_("pairwise_diff(a, b) has the wrong sign: out[i, j] is a[i] - b[j]"))
        if torch.allclose(got, a[:, None] + b[None, :]):
            fail(_("pairwise_diff(a, b) adds a[i] + b[j]: the table holds differences, a[:, None] - b[None, :]"),
                 cause=_("sum, not difference"))
        expect_close(got, want, _("pairwise_diff(a, b) with N = {n}, M = {m}").format(n=n, m=m))


def test_center_columns(learner):
    """center_columns(x) subtracts each column's mean (a (1, C) row broadcast over the N rows): every column of the result has mean 0."""
    x = torch.tensor([[1.0, 10.0, -3.0], [2.0, 20.0, 0.0], [3.0, 60.0, 3.0], [6.0, 30.0, 4.0], [8.0, 5.0, 1.0]])
    got = expect_shape(learner.call("center_columns", x), (5, 3), _("center_columns(x) with x of shape (5, 3)"))
    col_means = got.double().mean(dim=0)
    if not torch.allclose(col_means, torch.zeros(3, dtype=torch.float64), atol=1e-4):
        fail(_("the columns of center_columns(x) have means {v0}, expected 0: subtract the mean taken "
               "down the rows, x.mean(dim=0, keepdim=True) (dim=1 averages each row)").format(v0=[round(v, 3) for v in col_means.tolist()]))
    expect_close(got, x - x.mean(dim=0, keepdim=True), "center_columns(x)")


def test_column_shape(learner):
    """column(data, n) is column n as a 1-D tensor of shape (N,), for n = 1 and n = -1, on a (4, 3) table."""
    data = torch.arange(12.0).reshape(4, 3)
    for n in (1, -1):
        got = expect_tensor(learner.call("column", data, n), f"column(data, {n})")
        if tuple(got.shape) == (4, 1):
            fail(_("column(data, {n}) has shape (4, 1): data[:, [n]] keeps the dimension; an int index, "
                   "data[:, n], gives the 1-D column of shape (N,)").format(n=n))
        if tuple(got.shape) == (3,):
            fail(_("column(data, {n}) returned a row of 3 values; data[n] indexes rows: take a column with "
                   "data[:, n]").format(n=n))
        expect_close(got, data[:, n], _("column(data, {n}) of a (4, 3) table").format(n=n))


def test_split_features(learner):
    """split_features(data) returns (features, labels): data[:, :-1] of shape (N, D-1) and the last column as a (N, 1) column."""
    data = randn(5, 4, seed=6)
    got = learner.call("split_features", data)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(_("split_features(data) must return two tensors: (features, labels)"))
    features, labels = got
    labels = expect_tensor(labels, _("the labels of split_features(data)"))
    if tuple(labels.shape) == (5,):
        fail(_("the labels have shape (5,), expected (5, 1): data[:, -1] drops the dimension; data[:, "
               "[-1]] (or data[:, -1:]) keeps it as a column"))
    features = expect_tensor(features, _("the features of split_features(data)"))
    if features.dim() == 2 and tuple(features.shape) != (5, 3):
        fail(_("the features of split_features(data) with data of shape (5, 4) have shape {got_shape}, expected "
               "(5, 3): every column but the last, data[:, :-1]").format(got_shape=tuple(features.shape)),
             cause=_("wrong columns"))
    expect_close(features, data[:, :-1], _("the features of split_features(data) with data of shape (5, 4)"))
    for k in range(3):
        if tuple(labels.shape) == (5, 1) and torch.equal(labels, data[:, [k]]):
            fail(_("the labels of split_features(data) are column {k} of data: the label is the LAST column, "
                   "data[:, [-1]]").format(k=k), cause=_("wrong columns"))
    expect_close(labels, data[:, [-1]], _("the labels of split_features(data) with data of shape (5, 4)"))


def test_linear_shapes(learner):
    """linear(x, w, b) = x @ w.T + b maps (N, in) to (N, out) and a batch (B, N, in) to (B, N, out), with w of shape (out, in)."""
    w, b = randn(2, 3, seed=7), randn(2, seed=8)
    for shape, seed in (((5, 3), 9), ((4, 5, 3), 10)):
        x = randn(*shape, seed=seed)
        try:
            got = learner.call("linear", x, w, b)
        except LearnerError as exc:
            if "must be a matrix" in exc.message:
                why = _("torch.mm takes 2-D matrices only: use torch.matmul (or @), which keeps leading batch dimensions")
            elif "cannot be multiplied" in exc.message:
                why = _("the inner sizes must agree: w is stored as (out, in), so multiply by its transpose, x @ w.T")
            else:
                raise
            fail(_("linear(x, w, b) with x of shape {shape} and w of shape (2, 3) raised {exc_type}: "
                   "{message}\n{traceback}\n{why}").format(shape=shape, exc_type=exc.exc_type, message=exc.message, traceback=exc.traceback, why=why))
        got = expect_shape(got, (*shape[:-1], 2), _("linear(x, w, b) with x of shape {shape}, w (2, 3), b (2,)").format(shape=shape))
        if torch.allclose(got, x @ w.T, atol=1e-5):
            fail(_("linear(x, w, b) with x of shape {shape} equals x @ w.T: the bias is missing, add b").format(shape=shape))
        if torch.allclose(got, x @ w.T - b, atol=1e-5):
            fail(_("linear(x, w, b) with x of shape {shape} equals x @ w.T - b: the bias is subtracted; add it, "
                   "x @ w.T + b").format(shape=shape), cause=_("bias subtracted"))
        expect_close(got, x @ w.T + b, _("linear(x, w, b) with x of shape {shape}, w (2, 3), b (2,)").format(shape=shape))
