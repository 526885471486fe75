"""Mutation testing of the course: how many plausible wrong answers do the checks catch, and name?

The mutator changes one thing at a time in the solution regions (``# BEGIN SOLUTION`` ...
``# END SOLUTION``) of a lecture's reference solution, the code a learner writes: an operator,
a constant, a dimension, an argument's place, a statement.  Each mutant is the original file with
one node's source span replaced; it must parse to exactly the original tree with that one node
changed (parentheses are added where precedence needs them), and a mutant identical to the source,
or to an earlier mutant, is skipped.  Its id, ``lectureNN/file.py:line:col:operator`` (line and
column 1-based, of the node changed), stays the same as long as the solution's line does.

The runner grades each mutant as ``grader verify`` grades the known-bug mutants of
``tests/mutants/``: the real grading path (a sandboxed worker per grading, the shared ``Pool``),
with only the checks that can see the mutated file (``checks_seeing``), and classifies it:

* **killed**: some check failed, errored or timed out;
* **survived**: every check passed;
* **equivalent**: listed, with the reason, in ``tests/mutation/equivalent.toml`` (not graded, not
  in the kill rate);
* **ungraded**: the grader itself could not grade (its worker did not start): no verdict.

A killed mutant **names the cause** when at least one catching check carries a diagnosis: a
recognised mistake (its result's ``cause``), the help or likely cause that follows from one (its
``hint``), or a message the check wrote for this failure, i.e. anything but the generic texts of
the shared expectations (``GENERIC``: "values differ from the reference", "expected shape ...",
"expected a tensor", ...), a raw error without a diagnosis, or a time-out.  docs/mutation.md says
how to run it and how to triage a survivor.
"""

from __future__ import annotations

import ast
import random
import re
import tomllib
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from .stubs import BEGIN, END
from .workspace import REPO_DIR

EQUIVALENT_FILE = REPO_DIR / "tests" / "mutation" / "equivalent.toml"

# ---------------------------------------------------------------- the mutator

ARITH = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult, ast.FloorDiv],
         ast.FloorDiv: [ast.Div], ast.Mod: [ast.FloorDiv], ast.Pow: [ast.Mult], ast.MatMult: [ast.Mult]}
COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
           ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
OP_NAMES = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv",
            ast.Mod: "mod", ast.Pow: "pow", ast.MatMult: "matmul", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt",
            ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne", ast.Is: "is", ast.IsNot: "isnot", ast.In: "in",
            ast.NotIn: "notin", ast.And: "and", ast.Or: "or"}
DIM_KEYWORDS = {"dim", "axis", "dim0", "dim1", "start_dim", "end_dim"}
# methods whose first positional argument is a dimension (x.sum(1), x.argmax(1), x.unsqueeze(0), ...)
DIM_METHODS = {"sum", "mean", "argmax", "argmin", "max", "min", "softmax", "log_softmax", "squeeze", "unsqueeze",
               "cumsum", "prod", "std", "var", "size", "flatten", "logsumexp", "all", "any"}
# functions torch.f(x, dim) / F.f(x, dim) / torch.cat(xs, dim) whose second positional argument is one
DIM_FUNCTIONS = {"cat", "stack", "sum", "mean", "argmax", "argmin", "max", "min", "softmax", "log_softmax",
                 "squeeze", "unsqueeze", "cumsum", "flatten", "logsumexp", "concat", "concatenate"}
TRANSPOSES = {"transpose", "permute", "t"}
ZERO_GRAD = {"zero_grad", "zero_"}
# methods a learner forgets: x.float() -> x (a statement `model.eval()` is dropped as a statement)
DROPPED_METHODS = {"eval", "train", "contiguous", "detach", "float", "long", "item", "squeeze", "unsqueeze"}


@dataclass(frozen=True)
class GeneratedMutant:
    id: str            # lectureNN/file.py:line:col:operator
    lecture: str
    file: str          # the file's name in the lecture's folder
    line: int
    col: int
    operator: str
    symbol: str        # the top-level function or class it is in (an exercise's symbol)
    original: str      # the source line where the change starts (stripped)
    mutated: str       # the same line in the mutant (stripped)
    text: str          # the whole mutated file


def solution_lines(source: str) -> set[int]:
    """The 1-based numbers of the lines inside solution regions (the markers excluded)."""
    inside, lines = False, set()
    for n, line in enumerate(source.splitlines(), 1):
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside:
            lines.add(n)
    return lines


def _name(node: ast.AST) -> str:
    return OP_NAMES.get(type(node), type(node).__name__.lower())


def _call_name(node: ast.AST) -> str:
    """``f`` of ``f(...)``, ``x.f(...)``, ``torch.f(...)``; "" otherwise."""
    if isinstance(node, ast.Call):
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return ""


def _int_value(node: ast.AST) -> int | None:
    """The int of ``3`` or ``-1``; None for anything else (bools included)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _int_value(node.operand) is not None:
        return -node.operand.value
    return None


def _const(value) -> ast.expr:
    return ast.UnaryOp(ast.USub(), ast.Constant(-value)) if isinstance(value, (int, float)) and value < 0 \
        else ast.Constant(value)


def _dim_nodes(tree: ast.AST) -> set[int]:
    """ids of the AST nodes that are dimension arguments (mutated by the dim operator, not as constants)."""
    out = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg in DIM_KEYWORDS and _int_value(kw.value) is not None:
                out.add(id(kw.value))
        name = _call_name(node)
        is_method = isinstance(node.func, ast.Attribute) and not (
            isinstance(node.func.value, ast.Name) and node.func.value.id in ("torch", "F"))
        positions = []
        if is_method and name in DIM_METHODS:
            positions = [0]
        elif not is_method and name in DIM_FUNCTIONS:
            positions = [1]
        elif is_method and name == "transpose":
            positions = [0, 1]
        for p in positions:
            if p < len(node.args) and _int_value(node.args[p]) is not None:
                out.add(id(node.args[p]))
    return out


def _dim_variants(v: int) -> list[tuple[str, int]]:
    return {0: [("dim_0_1", 1), ("dim_0_m1", -1)], 1: [("dim_1_0", 0)], -1: [("dim_m1_0", 0)]}.get(
        v, [(f"dim_{v}_0".replace("-", "m"), 0)])


def _variants(node: ast.AST, parent: ast.AST | None, dims: set[int]) -> list[tuple[str, ast.AST]]:
    """(operator, replacement node) for each mutation of ``node`` itself."""
    out: list[tuple[str, ast.AST]] = []
    if isinstance(node, ast.BinOp) and type(node.op) in ARITH:
        for new in ARITH[type(node.op)]:
            out.append((f"arith_{_name(node.op)}_{_name(new())}", ast.BinOp(node.left, new(), node.right)))
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in COMPARE:
                ops = list(node.ops)
                new = COMPARE[type(op)]()
                ops[i] = new
                out.append((f"cmp_{_name(op)}_{_name(new)}", ast.Compare(node.left, ops, node.comparators)))
    elif isinstance(node, ast.BoolOp):
        new = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        out.append((f"{_name(node.op)}_{_name(new)}", ast.BoolOp(new, node.values)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(("drop_not", node.operand))
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        out.append((f"bool_{node.value}_{not node.value}".lower(), ast.Constant(not node.value)))
    elif isinstance(node, ast.Constant) and node.value in ("sum", "mean") and isinstance(parent, ast.keyword) \
            and parent.arg == "reduction":
        new = "mean" if node.value == "sum" else "sum"
        out.append((f"reduction_{node.value}_{new}", ast.Constant(new)))
    elif id(node) in dims:
        for op, v in _dim_variants(_int_value(node)):
            out.append((op, _const(v)))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not (
            isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub) and id(parent) in dims):
        v = node.value
        if type(v) is int:
            out += [("const_plus1", ast.Constant(v + 1))] + ([("const_minus1", ast.Constant(v - 1))] if v > 0 else [])
        elif v in (0.0, 1.0):
            out.append((f"const_{int(v)}_{1 - int(v)}", ast.Constant(1.0 - v)))
        else:
            out += [("const_double", ast.Constant(v * 2)), ("const_half", ast.Constant(v / 2))]
    elif isinstance(node, ast.Call):
        name = _call_name(node)
        args = node.args
        for i in range(len(args) - 1):
            if not any(isinstance(a, ast.Starred) for a in args[i:i + 2]) and ast.dump(args[i]) != ast.dump(args[i + 1]):
                swapped = list(args)
                swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
                out.append((f"swap_args_{i + 1}_{i + 2}", ast.Call(node.func, swapped, node.keywords)))
        if name == "range" and isinstance(node.func, ast.Name):  # off by one: range(n) -> range(n + 1), range(n - 1)
            for i, a in enumerate(args):
                if not isinstance(a, (ast.Constant, ast.Starred)):
                    which = f"arg{i + 1}_" if len(args) > 1 else ""
                    for op, sign in (("plus1", ast.Add()), ("minus1", ast.Sub())):
                        bumped = list(args)
                        bumped[i] = ast.BinOp(a, sign, ast.Constant(1))
                        out.append((f"range_{which}{op}", ast.Call(node.func, bumped, node.keywords)))
        if isinstance(node.func, ast.Attribute):
            recv = node.func.value
            if name in ("view", "reshape"):
                new = "reshape" if name == "view" else "view"
                out.append((f"{name}_{new}", ast.Call(ast.Attribute(recv, new, ast.Load()), args, node.keywords)))
            elif (name in TRANSPOSES or name in DROPPED_METHODS) and not isinstance(parent, ast.Expr):
                out.append((f"drop_{name}", recv))  # x.transpose(0, 1) -> x, x.float() -> x
            if name in ("sum", "mean"):
                new = "mean" if name == "sum" else "sum"
                out.append((f"{name}_{new}", ast.Call(ast.Attribute(recv, new, ast.Load()), args, node.keywords)))
    elif isinstance(node, ast.Attribute) and node.attr in ("T", "mT") and isinstance(node.ctx, ast.Load):
        out.append((f"drop_{node.attr}", node.value))
    return out


def _statement_variants(node: ast.stmt) -> list[tuple[str, ast.AST]]:
    """Dropped statements: a call made for its effect, an augmented assignment, an assignment to an
    attribute or an item, and ``x = f(x)`` (the step is skipped, x keeps its value); ``with
    torch.no_grad():`` loses its context manager (its body stays)."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        name = _call_name(node.value)
        op = "drop_zero_grad" if name in ZERO_GRAD else f"drop_{name}" if name in ("eval", "train", "backward", "step") \
            else "drop_stmt"
        return [(op, ast.Pass())]
    if isinstance(node, ast.AugAssign):
        return [("drop_stmt", ast.Pass())]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in targets):
            return [("drop_stmt", ast.Pass())]
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if len(targets) == 1 and names and node.value is not None and any(
                isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.value)):
            return [("drop_stmt", ast.Pass())]
    if isinstance(node, ast.With) and len(node.items) == 1 and node.items[0].optional_vars is None \
            and _call_name(node.items[0].context_expr) in ("no_grad", "inference_mode"):
        return [("drop_no_grad", ast.If(ast.Constant(True), node.body, []))]
    return []


def _paths(tree: ast.AST):
    """(node, parent, path) for every node; ``path`` is the (field, index) steps from the root."""
    todo = [(tree, None, ())]
    while todo:
        node, parent, path = todo.pop(0)
        yield node, parent, path
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                todo += [(v, node, path + ((name, i),)) for i, v in enumerate(value) if isinstance(v, ast.AST)]
            elif isinstance(value, ast.AST):
                todo.append((value, node, path + ((name, None),)))


def _dump_replaced(tree: ast.AST, path: tuple, new: ast.AST) -> str:
    """``ast.dump`` of ``tree`` with the node at ``path`` replaced by ``new`` (``tree`` is left as it was)."""
    node = tree
    for name, i in path[:-1]:
        node = getattr(node, name) if i is None else getattr(node, name)[i]
    name, i = path[-1]
    holder = getattr(node, name) if i is not None else None
    old = getattr(node, name) if i is None else holder[i]
    try:
        if i is None:
            setattr(node, name, new)
        else:
            holder[i] = new
        return ast.dump(tree)
    finally:
        if i is None:
            setattr(node, name, old)
        else:
            holder[i] = old


def _splice(lines: list[bytes], start: tuple[int, int], end: tuple[int, int], text: str) -> str:
    """The source with the span from (line, byte col) ``start`` to ``end`` replaced (ast's offsets are UTF-8)."""
    (l0, c0), (l1, c1) = start, end
    head = b"".join(lines[:l0 - 1]) + lines[l0 - 1][:c0]
    tail = lines[l1 - 1][c1:] + b"".join(lines[l1:])
    return (head + text.encode() + tail).decode()


def _symbol_at(tree: ast.Module, line: int) -> str:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
                node.lineno <= line <= node.end_lineno:
            return node.name
    return ""


def mutate_source(source: str, lecture: str, filename: str) -> list[GeneratedMutant]:
    """Every mutant of the solution regions of one solution file, in source order."""
    tree = ast.parse(source)
    region = solution_lines(source)
    lines = source.encode().splitlines(keepends=True)
    dims = _dim_nodes(tree)
    seen = {source}
    out: list[GeneratedMutant] = []
    for node, parent, path in _paths(tree):
        if not hasattr(node, "lineno") or not path:
            continue
        if not all(n in region for n in range(node.lineno, node.end_lineno + 1)):
            continue
        is_stmt = isinstance(node, ast.stmt)
        variants = _statement_variants(node) if is_stmt else _variants(node, parent, dims)
        for op, new in variants:
            # the top-level statement it is in: the rest of the file is the same text, so the same tree
            top = path[0][1]
            want = _dump_replaced(tree.body[top], path[1:], new) if len(path) > 1 else ast.dump(new)
            if isinstance(node, ast.With):  # only the header changes: `with torch.no_grad()` -> `if True`
                item = node.items[0].context_expr
                start, end, candidates = (node.lineno, node.col_offset), (item.end_lineno, item.end_col_offset), ["if True"]
            else:
                start, end = (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)
                text = ast.unparse(new)
                candidates = [text] if is_stmt else [text, f"({text})"]
            for text in candidates:
                mutated = _splice(lines, start, end, text)
                try:
                    body = ast.parse(mutated).body
                    ok = len(body) == len(tree.body) and ast.dump(body[top]) == want
                except SyntaxError:
                    ok = False
                if ok:
                    break
            else:
                continue  # no text of it parses to the intended tree: skipped
            if mutated in seen:
                continue
            seen.add(mutated)
            line = node.lineno
            ident = f"{lecture}/{filename}:{line}:{node.col_offset + 1}:{op}"
            n = 2
            while any(m.id == ident for m in out):  # two changes of one kind on one node (a < b < c)
                ident = f"{lecture}/{filename}:{line}:{node.col_offset + 1}:{op}_{n}"
                n += 1
            out.append(GeneratedMutant(
                id=ident, lecture=lecture, file=filename,
                line=line, col=node.col_offset + 1, operator=op, symbol=_symbol_at(tree, line), original=source.splitlines()[line - 1].strip(),
                mutated=mutated.splitlines()[line - 1].strip(), text=mutated))
    out.sort(key=lambda m: (m.line, m.col, m.id))
    return out


def lecture_mutants(lecture_id: str, solution_dir: Path) -> list[GeneratedMutant]:
    """Every mutant of a lecture's solution files (those with solution regions), file by file."""
    out: list[GeneratedMutant] = []
    for path in sorted(solution_dir.glob("*.py")):
        out += mutate_source(path.read_text(encoding="utf-8"), lecture_id, path.name)
    return out


def load_equivalent(path: Path = EQUIVALENT_FILE) -> dict[str, str]:
    """Mutant id -> the reason it computes what the solution does (triaged by hand)."""
    if not path.is_file():
        return {}
    out = {}
    for i, entry in enumerate(tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])):
        unknown = set(entry) - {"id", "reason", "mutated"}
        if unknown or not entry.get("id") or not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path.name} equivalent[{i}]: needs `id` and a `reason` (optional `mutated`), "
                             f"no other key ({', '.join(sorted(unknown)) or 'missing'})")
        out[entry["id"]] = entry["reason"]
    return out


def select(mutants: list[GeneratedMutant], *, only: list[str] = (), limit: int | None = None,
           seed: int = 0) -> list[GeneratedMutant]:
    """Those whose id contains one of ``only`` (all without it); then ``limit`` of them drawn with ``seed``
    (kept in source order)."""
    if only:
        mutants = [m for m in mutants if any(o in m.id for o in only)]
    if limit is not None and limit < len(mutants):
        keep = set(random.Random(seed).sample(range(len(mutants)), limit))
        mutants = [m for i, m in enumerate(mutants) if i in keep]
    return mutants


# ---------------------------------------------------------------- judging a graded mutant

# the shared expectations' own texts (grader.checks.common), in English: a failure that says only
# this has found a difference, not its cause
GENERIC = re.compile("|".join([
    r"values differ from the reference",
    r": expected shape \(.*\), got \(",
    r": expected a tensor, got ",
    r": expected dtype \S+, got ",
    r": expected a (finite )?number, got ",
    r": expected \S+ \(within \S+\), got .* \(off by ",
    r": expected a list of .*, got ",
    r" holds \d+ .*, expected (at least )?\d+",
]))
CAUGHT = ("failed", "error", "timed_out")


def names_cause(check) -> bool:
    """Whether a catching check's result (a CheckResult) names the cause of the failure: a recognised
    mistake (``cause``), a diagnosis or the help that follows from it (``hint``), or a failure
    message of the check's own (not a generic text of the shared expectations).  A raw error or a
    time-out without a diagnosis does not."""
    if check.cause or check.hint:
        return True
    first = (check.message or "").splitlines()[0] if check.message else ""
    return check.status == "failed" and bool(first) and not GENERIC.search(first)


@dataclass
class Outcome:
    id: str
    file: str
    line: int
    operator: str
    original: str
    mutated: str
    status: str                     # killed, survived, equivalent, ungraded
    caught_by: list[str] = field(default_factory=list)
    named: bool = False
    message: str = ""               # the first line of the catching check's message (a naming one first)
    checks: list[dict] = field(default_factory=list)   # each catching check: name, exercise, status, named, message
    reason: str = ""                # an equivalent mutant's reason; an ungraded one's grader error
    seconds: float = 0.0


def judge(m: GeneratedMutant, result, own_exercise: str = "") -> Outcome:
    """A graded mutant's outcome from its LectureResult.  Whether it is named is decided by the catching
    checks of ``own_exercise`` (the exercise of the changed function), or by all catching checks where
    none of that exercise's caught it (a mistake seen only downstream)."""
    o = Outcome(m.id, m.file, m.line, m.operator, m.original, m.mutated, "survived", seconds=result.duration_s)
    if result.grader_error:
        o.status, o.reason = "ungraded", result.grader_error.splitlines()[0]
        return o
    caught = [c for c in result.checks if c.status in CAUGHT]
    o.checks = [{"name": c.name, "exercise": c.exercise, "status": c.status, "named": names_cause(c),
                 "cause": c.cause, "hint": c.hint[:300], "message": (c.message or "").split("\n", 1)[0][:300]}
                for c in caught]
    if caught:
        judged = [c for c in caught if c.exercise == own_exercise] or caught
        naming = [c for c in judged if names_cause(c)]
        o.status, o.caught_by, o.named = "killed", [c.name for c in caught], bool(naming)
        shown = (naming or judged)[0]
        o.message = f"{shown.name}: " + ((shown.message or shown.status).splitlines() or [""])[0][:300]
    return o


@dataclass
class LectureReport:
    lecture: str
    outcomes: list[Outcome] = field(default_factory=list)
    stale_equivalent: list[str] = field(default_factory=list)   # listed ids of this lecture that no mutant has

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def kill_rate(self) -> float | None:
        judged = self.count("killed") + self.count("survived")
        return self.count("killed") / judged if judged else None

    @property
    def named_share(self) -> float | None:
        killed = self.count("killed")
        return sum(o.named for o in self.outcomes if o.status == "killed") / killed if killed else None

    def to_dict(self) -> dict:
        return {"lecture": self.lecture, "mutants": len(self.outcomes),
                **{s: self.count(s) for s in ("killed", "survived", "equivalent", "ungraded")},
                "kill_rate": self.kill_rate, "named_share": self.named_share,
                "stale_equivalent": self.stale_equivalent, "outcomes": [asdict(o) for o in self.outcomes]}


# ---------------------------------------------------------------- the runner

def run_mutants(lecture, mutants: list[GeneratedMutant], *, equivalent: dict[str, str] | None = None,
                jobs: int = 1, recheck_equivalent: bool = False, on_outcome=None) -> LectureReport:
    """Grade each mutant of one lecture (listed equivalent ones only with ``recheck_equivalent``), at
    most ``jobs`` at a time, with the checks that can see its file, in English."""
    from .workspace import solutions_dir

    equivalent = load_equivalent() if equivalent is None else equivalent
    report = LectureReport(lecture.id)
    sol = solutions_dir() / lecture.id
    ids = {m.id for m in lecture_mutants(lecture.id, sol)} | {m.id for m in mutants}
    report.stale_equivalent = sorted(i for i in equivalent if i.startswith(lecture.id + "/") and i not in ids)
    outcomes: dict[str, Outcome] = {}
    for m in mutants:
        if m.id in equivalent and not recheck_equivalent:
            outcomes[m.id] = Outcome(m.id, m.file, m.line, m.operator, m.original, m.mutated, "equivalent",
                                     reason=equivalent[m.id])
    if len(outcomes) < len(mutants):
        _grade_all(lecture, [m for m in mutants if m.id not in outcomes], sol, equivalent, jobs, outcomes, on_outcome)
    report.outcomes = [outcomes[m.id] for m in mutants]
    return report


def _grade_all(lecture, mutants, sol: Path, equivalent, jobs, outcomes, on_outcome) -> None:
    from .batch import closed_result
    from .pool import Job
    from .results import LectureResult
    from .verify import Mutant, _grade, apply_mutant, checks_seeing, grade_variants, variant_run

    with variant_run("grader-mutation-") as (variants, scratch):
        todo: list[tuple[Job, GeneratedMutant]] = []
        for i, m in enumerate(mutants):
            original = (sol / m.file).read_text(encoding="utf-8")
            folder = apply_mutant(sol, Mutant(m.id, m.file, original, m.text, ""), variants / f"m{i}")
            job = Job(f"m{i}", partial(_grade, lecture, folder, checks_seeing(lecture, m.file)),
                      partial(closed_result, lecture))
            todo.append((job, m))
        by_job = {job.id: m for job, m in todo}

        def done(result: LectureResult, job: Job) -> None:
            m = by_job[job.id]
            own = lecture.exercise_of_symbol(m.symbol) if m.symbol else None
            o = judge(m, result, own.name if own else "")
            if m.id in equivalent:  # rechecked: listed as equivalent
                o.reason = equivalent[m.id]
                o.status = "equivalent" if o.status == "survived" else o.status
            outcomes[m.id] = o
            if on_outcome is not None:
                on_outcome(o)

        grade_variants([job for job, _ in todo], done, lectures=[lecture], variants=variants, scratch=scratch,
                       jobs=jobs)


# ---------------------------------------------------------------- printing

def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def table(reports: list[LectureReport]) -> str:
    head = ("lecture", "mutants", "killed", "survived", "equivalent", "kill rate", "named")
    rows = [head] + [(r.lecture, str(len(r.outcomes)), str(r.count("killed")), str(r.count("survived")),
                      str(r.count("equivalent")), _pct(r.kill_rate), _pct(r.named_share)) for r in reports]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     for row in rows)


def survivors(reports: list[LectureReport]) -> str:
    lines = []
    for r in reports:
        for o in r.outcomes:
            if o.status in ("survived", "ungraded"):
                lines.append(f"{o.id}{'  (ungraded: ' + o.reason + ')' if o.status == 'ungraded' else ''}\n"
                             f"    - {o.original}\n    + {o.mutated}")
            elif o.status == "killed" and o.reason:  # --recheck-equivalent
                lines.append(f"{o.id}  (listed as equivalent, but killed by {', '.join(o.caught_by)}: "
                             f"remove it from the list)")
        for i in r.stale_equivalent:
            lines.append(f"{i}  (listed as equivalent, but no such mutant now: triage it again)")
    return "\n".join(lines)
