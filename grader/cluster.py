"""Grading a class on a Dask cluster: ``grader grade SUBMISSION... --cluster ADDRESS``.

The local process pool (``grader.batch``) stays the default; this module sends each submission to
a Dask (``dask.distributed``) scheduler as one task, for a class too big for one machine.

On the submitting machine (``run_cluster_batch``): what ``run_batch`` does, with the cluster in
place of the pool.  A submission already graded into ``out`` (same files, same lectures) is
skipped; each other one is packed into bytes (a file as it is, a folder as a tar of its files,
folders and links) and submitted with the course's fingerprint (``course.course_fingerprint``);
each result comes back as the canonical JSON and is written here, once per submission, as it
arrives, with the same progress bar.  ``--device cuda`` asks for the worker resource ``GPU=1``.

On a Dask worker (``grade_task``, the task): a worker whose course differs from the submitter's
refuses (``{"refused": why}``), and the submitting machine makes that a grader problem for the
submission (every check ``error``, the lecture marked not graded), never a grade.  Otherwise the bytes are
unpacked into a temporary folder and graded exactly as the local pool grades: by a *grading
helper*, a plain Python process of this worker (``python -m grader.cluster``) that imports torch
and the grader once and forks one grading process per submission (``grader.pool``, the same job
``run_batch`` makes: ``batch.submission_job``), under the same sandbox (``require_sandbox``: no
grading without bubblewrap unless the submitter passed ``--allow-unsandboxed``), limits and
trust boundary.  A Dask worker thread cannot fork safely (and a nanny's worker is a daemon
process, which may not), hence the helper: one per worker thread, started on first use, reused.

Faults: a worker that dies mid-batch loses nothing (the scheduler runs its tasks again
elsewhere; the submitter writes each submission once); a task the cluster gave up on (its
workers died ``distributed.scheduler.allowed-failures`` times) becomes a grader problem, graded
again by the next run; a scheduler that cannot be reached in ``CONNECT_TIMEOUT_S`` raises
``ClusterUnavailable``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import uuid
from pathlib import Path

from .i18n import _
from .course import Lecture, course_fingerprint
from .results import SubmissionResult

CONNECT_TIMEOUT_S = 10.0
GPU_RESOURCE = "GPU"


class ClusterUnavailable(RuntimeError):
    """The cluster cannot grade: no scheduler there, or no worker that can take the tasks."""


# ---------------------------------------------------------------- what a task carries

def pack(path: Path) -> tuple[str, bytes]:
    """(kind, bytes) of a submission: ``file`` and its bytes, or ``dir`` and a tar of the folder
    (regular files, folders and symbolic links as links: staging on the worker refuses links as
    it does here).  Nothing is followed out of the folder."""
    path = Path(path)
    if path.is_file():
        return "file", path.read_bytes()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        links = []
        for top, dirs, files in os.walk(path):  # does not follow links to folders
            for name in sorted(dirs) + sorted(files):
                full = Path(top) / name
                rel = full.relative_to(path).as_posix()
                st = full.lstat()
                info = tarfile.TarInfo(rel)
                info.mode = stat.S_IMODE(st.st_mode)
                if stat.S_ISLNK(st.st_mode):
                    info.type, info.linkname = tarfile.SYMTYPE, os.readlink(full)
                    links.append(info)   # last: nothing is unpacked through a link
                elif stat.S_ISDIR(st.st_mode):
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif stat.S_ISREG(st.st_mode):
                    data = full.read_bytes()
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        for info in links:
            tar.addfile(info)
    return "dir", buf.getvalue()


def unpack(kind: str, payload: bytes, dest: Path) -> None:
    """The submission at ``dest`` (a file or a folder), as ``pack`` took it."""
    if kind == "file":
        dest.write_bytes(payload)
        return
    dest.mkdir()
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r") as tar:
        tar.extractall(dest, filter="tar")  # refuses paths out of dest; links are recreated, never followed


# ---------------------------------------------------------------- the submitting machine

def connect(address: str, timeout: float = CONNECT_TIMEOUT_S):
    """A ``distributed.Client`` of the scheduler at ``address`` (``tcp://host:8786``, or a scheduler
    file written by ``dask scheduler --scheduler-file``); ClusterUnavailable when it is not there."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterUnavailable(_("grading on a cluster needs Dask: pip install 'pytorch-course-grader[dask]'")) from None
    if os.path.isfile(address):
        try:
            address = json.loads(Path(address).read_text(encoding="utf-8"))["address"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ClusterUnavailable(_("{address} is not a Dask scheduler file ({error})").format(address=address, error=exc)) from None
    elif "://" not in address and ":" not in address:
        raise ClusterUnavailable(_("--cluster {address}: neither a scheduler address (tcp://host:8786) "
                                   "nor a scheduler file that exists").format(address=address))
    import logging
    quiet = [logging.getLogger(n) for n in ("distributed", "distributed.client", "distributed.comm")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.CRITICAL)  # a refused connection is said once, below, not as a traceback
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterUnavailable(_("cannot reach the Dask scheduler at {address} within {seconds} s "
                                   "({error}); is `dask scheduler` running there?").format(
                                       address=address, seconds=f"{timeout:g}", error=type(exc).__name__)) from None
    finally:
        for q, level in zip(quiet, levels):
            q.setLevel(level)


def grader_problem(sid: str, source: str, fp: str, lectures: list[Lecture], message: str) -> SubmissionResult:
    """Every check failed closed as ``error`` and each lecture marked as not graded (the grader's problem,
    not the learner's): a rerun grades it again (``batch.load_done``)."""
    from .batch import closed_result
    graded = [closed_result(lec, "error", message) for lec in lectures]
    for r in graded:
        r.grader_error = message
    return SubmissionResult(submission=sid, source=source, fingerprint=fp, problems=[message], lectures=graded)


def submit(client, path: Path, sid: str, fp: str, lectures: list[Lecture], *, device: str = "cpu",
           timeout: float | None = None, allow_unsandboxed: bool = False):
    """One submission as one Dask task (a future of its canonical JSON)."""
    kind, payload = pack(path)
    request = {"submission": sid, "source": str(path), "fingerprint": fp, "name": Path(path).name, "kind": kind,
               "lectures": [lec.id for lec in lectures], "variants": [lec.variant for lec in lectures],
               "course": course_fingerprint(), "device": device, "timeout": timeout,
               "allow_unsandboxed": allow_unsandboxed}
    return client.submit(grade_task, request, payload, key=f"grade-{sid}-{uuid.uuid4().hex[:12]}", pure=False,
                         resources={GPU_RESOURCE: 1} if device == "cuda" else None)


def run_cluster_batch(paths: list[Path], lectures: list[Lecture], out: Path, *, address: str,
                      timeout: float | None = None, force: bool = False, device: str = "cpu", progress: bool = True,
                      allow_unsandboxed: bool = False, connect_timeout: float = CONNECT_TIMEOUT_S):
    """``batch.run_batch`` on a Dask cluster: same outputs in ``out``, same skipping, same summary."""
    from .batch import _progress, class_results, closed_result, grade_submission, split_done, write_class, \
        write_submission
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lecture_ids = [lec.id for lec in lectures]
    summary, results, todo = split_done(paths, out, lecture_ids, force)
    if todo:
        client = connect(address, connect_timeout)
        futures = {}
        try:
            if device == "cuda" and not _gpu_workers(client):
                raise ClusterUnavailable(_("--device cuda: no worker of the cluster at {address} has the resource "
                                           "{resource} (start GPU workers with `dask worker ... --resources "
                                           "{resource}=1`)").format(address=address, resource=GPU_RESOURCE))
            bar = _progress(progress, len(paths), len(summary.skipped))

            def record(result: SubmissionResult) -> None:
                if result.submission in results:
                    return  # written once, whatever the cluster did
                write_submission(out, result)
                results[result.submission] = result
                summary.graded.append(result.submission)
                bar.advance(f"{result.submission}: {result.score:g}/{result.max_score:g}")

            with bar:
                for path, sid, fp in todo:
                    if not path.exists() or path.is_symlink():  # nothing to send: the same refusal, made here
                        record(grade_submission(path, lectures, name=sid))
                        continue
                    try:
                        future = submit(client, path, sid, fp, lectures, device=device, timeout=timeout,
                                        allow_unsandboxed=allow_unsandboxed)
                    except OSError as exc:  # a file of it cannot be read here: the submission's problem
                        message = _("{name} cannot be read ({error})").format(name=path.name, error=exc.strerror or exc)
                        record(SubmissionResult(sid, [closed_result(lec, "error", message) for lec in lectures],
                                                source=str(path), fingerprint=fp, problems=[message]))
                        continue
                    futures[future] = (path, sid, fp)
                from distributed import as_completed
                for future in as_completed(list(futures), loop=client.loop):
                    path, sid, fp = futures[future]
                    record(_answer(future, path, sid, fp, lectures))
        finally:
            if futures:
                client.cancel(list(futures))
            client.close()
    summary.klass.submissions = class_results(out, lecture_ids, results)
    write_class(out, summary.klass)
    return summary


def _answer(future, path: Path, sid: str, fp: str, lectures: list[Lecture]) -> SubmissionResult:
    """A finished task's result; a refusal, or a task the cluster could not run, as a grader problem."""
    try:
        answer = json.loads(future.result())
        if "refused" in answer:
            return grader_problem(sid, str(path), fp, lectures, str(answer["refused"]))
        result = SubmissionResult.from_dict(answer)
    except Exception as exc:  # KilledWorker, a cancelled task, a worker without the grader
        return grader_problem(sid, str(path), fp, lectures, _("the cluster could not grade this submission ({error}); this is not a verdict on "
                                "the code: grade it again").format(error=f"{type(exc).__name__}: {str(exc)[:300]}"))
    if result.submission != sid or [r.lecture for r in result.lectures] != [lec.id for lec in lectures]:
        return grader_problem(sid, str(path), fp, lectures, _("a Dask worker answered for another submission or other lectures; grade it again"))
    return result


def _gpu_workers(client) -> int:
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # a Dask before n_workers: every worker
        workers = client.scheduler_info()["workers"]
    return sum(GPU_RESOURCE in (w.get("resources") or {}) for w in workers.values())


# ---------------------------------------------------------------- on a Dask worker

def grade_task(request: dict, payload: bytes) -> str:
    """The Dask task: one submission graded on this worker; its canonical JSON, or ``{"refused": why}``
    when this worker cannot grade it as asked (another course, no sandbox, no CUDA, a dead helper),
    which the submitting machine makes a grader problem.  Never raises for anything the submission holds."""
    from .course import CourseError
    mine = course_fingerprint()
    if request["course"] != mine:
        return _refused(_("this Dask worker ({worker}) holds another version of the course (course fingerprint "
                          "{here} here, {there} on the submitting machine): it refused to grade with other checks; "
                          "install the same course on every worker").format(
                              worker=_me(), here=mine[:12], there=request['course'][:12]))
    try:
        _lectures(request)
    except CourseError as exc:
        return _refused(_("this Dask worker ({worker}) cannot load the lectures asked for: {error}").format(
            worker=_me(), error=exc))
    name = request["name"] if request["name"] not in ("", ".", "..") and "/" not in request["name"] else "submission"
    work = Path(tempfile.mkdtemp(prefix="grader-cluster-"))
    try:
        unpack(request["kind"], payload, work / name)
        answer = json.loads(_helper_call({**request, "path": str(work / name), "worker": _me()}))
    except Exception as exc:  # the helper died, the payload would not unpack: the worker's problem
        return _refused(_("this Dask worker ({worker}) could not grade this submission ({error}); grade it again").format(
            worker=_me(), error=f"{type(exc).__name__}: {str(exc)[:300]}"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if "refused" in answer:
        return json.dumps(answer)
    result = SubmissionResult.from_dict(answer)
    result.submission, result.source, result.fingerprint = request["submission"], request["source"], \
        request["fingerprint"]  # the submitting machine's names
    return result.to_json()


def _refused(message: str) -> str:
    return json.dumps({"refused": message})


def _lectures(request: dict) -> list[Lecture]:
    """The lectures asked for, from this machine's course (on the data variant the submitter chose)."""
    from .course import load_lecture
    return [load_lecture(i).with_data(v) if v else load_lecture(i)
            for i, v in zip(request["lectures"], request["variants"])]


def _me() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return _("not a Dask worker")


_idle: list[subprocess.Popen] = []
_idle_lock = threading.Lock()


def _helper_env() -> dict:
    env = dict(os.environ)
    if "OMP_NUM_THREADS" not in env:  # like --jobs: each grading gets its share of the cores
        try:
            from distributed import get_worker
            nthreads = get_worker().state.nthreads
        except (ImportError, ValueError, AttributeError):
            nthreads = 1
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // max(1, nthreads)))
    return env


def _helper_call(request: dict) -> str:
    """Send ``request`` to an idle grading helper of this worker (started when none is idle); its answer."""
    with _idle_lock:
        helper = _idle.pop() if _idle else None
    if helper is None or helper.poll() is not None:
        helper = subprocess.Popen([sys.executable, "-m", "grader.cluster"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, env=_helper_env(), text=True)
    try:
        helper.stdin.write(json.dumps(request) + "\n")
        helper.stdin.flush()
        answer = helper.stdout.readline()
    except OSError:
        answer = ""
    if not answer:
        helper.kill()
        raise RuntimeError(_("its grading helper exited with status {code} before answering").format(code=helper.wait()))
    with _idle_lock:
        _idle.append(helper)
    return answer


def _grade_one(request: dict, scratch: Path) -> dict:
    """In the helper: what ``run_batch`` does for one submission, in a forked grading process."""
    from .api import UsageError, resolve_device
    from .batch import batch_limits, submission_job
    from .pool import Pool
    from .sandbox import SandboxUnavailable, require_sandbox
    lectures = _lectures(request)
    path, sid, fp = Path(request["path"]), request["submission"], request["fingerprint"]
    if _SANDBOX_ENV is None:  # require_sandbox pins its choice in the environment: each request chooses afresh
        os.environ.pop("GRADER_SANDBOX", None)
    else:
        os.environ["GRADER_SANDBOX"] = _SANDBOX_ENV
    try:
        require_sandbox(request["allow_unsandboxed"])
        device = resolve_device(request["device"])
    except (SandboxUnavailable, UsageError) as exc:
        return {"refused": _("the Dask worker {worker} refused to grade: {error}").format(worker=request['worker'], error=exc)}
    _limit, outer = batch_limits(lectures, request["timeout"])
    got: list[SubmissionResult] = []
    Pool(jobs=1, timeout=outer, scratch=scratch, result_type=SubmissionResult).run(
        [submission_job(path, sid, fp, lectures, device=device, timeout=request["timeout"])],
        lambda result, job: got.append(result))
    return got[0].to_dict()


_SANDBOX_ENV = os.environ.get("GRADER_SANDBOX")  # as the worker was started


def _serve() -> None:
    """The grading helper's loop: a request (JSON) a line on stdin, its result (JSON) a line back.
    Its own stdout goes to stderr, so nothing but answers reaches the worker."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    from . import plugin  # noqa: F401  (torch, pytest and the grader, imported once before forking)
    for line in sys.stdin:
        request = json.loads(line)
        with tempfile.TemporaryDirectory(prefix="grader-helper-") as scratch:
            answer = _grade_one(request, Path(scratch))
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    _serve()
