"""The reports as a person sees them: a real batch's class page and a student's report, rendered
by headless Chromium.

How it is checked (no extra Python package): Chromium is driven over the DevTools protocol on
``--remote-debugging-pipe`` (NUL-separated JSON on file descriptors 3 and 4).  With the Network,
Runtime, Log and Page domains enabled before navigating, *every* request the page makes is seen
as ``Network.requestWillBeSent`` (the page's own file:// URL must be the only one), and console
messages, uncaught exceptions and browser log entries (a CSP violation or a failed load is one)
as events (none of level error may appear).  ``--host-resolver-rules="MAP * ~NOTFOUND"`` makes
any host unresolvable besides, so nothing could leave the machine even if a report tried.  A
control page that does load a remote image and log an error proves the harness sees both.  The
rendered DOM is read back (``DOM.getOuterHTML``) and the charts' laid-out sizes measured
(``Runtime.evaluate``); a full-page screenshot of each page is kept in ``tests/output/``.
"""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, SOLUTIONS, run_grader

OUTPUT = REPO / "tests" / "output"
BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = [pytest.mark.grading, pytest.mark.slow,
              pytest.mark.skipif(BROWSER is None, reason="chromium is not installed (apt-get install chromium; "
                                                         "scripts/apt-packages.txt lists it): cannot render reports")]


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe."""

    def __init__(self, profile: Path, timeout: float = 90.0):
        self.timeout = timeout
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def fds_3_and_4():  # in the child: the pipe ends where --remote-debugging-pipe expects them
            r = fcntl.fcntl(to_r, fcntl.F_DUPFD, 100)
            w = fcntl.fcntl(from_w, fcntl.F_DUPFD, 100)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0", "about:blank"],
            preexec_fn=fds_3_and_4, close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(profile.parent / "chromium.log", "wb"))
        os.close(to_r)
        os.close(from_w)
        self.buffer, self.next_id, self.events = b"", 0, []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self.from_r], [], [], left)
            if ready:
                chunk = os.read(self.from_r, 1 << 20)
                if not chunk:
                    raise EOFError("chromium closed the DevTools pipe")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read_message(deadline))

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def open(self, url: str) -> "Page":
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log", "DOM"):
            self.send(f"{domain}.enable", session)
        self.send("Emulation.setDeviceMetricsOverride", session, width=1100, height=900, deviceScaleFactor=1,
                  mobile=False)
        self.events.clear()
        self.send("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", self.timeout)
        self.drain(1.0)  # late requests, console messages
        return Page(self, session, url, [e for e in self.events if e.get("sessionId") == session])

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.to_w, self.from_r):
            os.close(fd)


class Page:
    def __init__(self, browser: Chromium, session: str, url: str, events: list[dict]):
        self.browser, self.session, self.url, self.events = browser, session, url, events

    @property
    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    @property
    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                out.append(f"console.{p['type']}: {[a.get('value') for a in p.get('args', [])]}")
            elif m == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')}")
            elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(f"log {p['entry']['level']}: {p['entry']['text']}")
            elif m == "Network.loadingFailed":
                out.append(f"load failed: {p.get('errorText')} {p.get('blockedReason', '')}")
        return out

    def dom(self) -> str:
        root = self.browser.send("DOM.getDocument", self.session, depth=-1)["root"]
        return self.browser.send("DOM.getOuterHTML", self.session, nodeId=root["nodeId"])["outerHTML"]

    def evaluate(self, expression: str):
        return self.browser.send("Runtime.evaluate", self.session, expression=expression,
                                 returnByValue=True)["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.browser.send("Page.captureScreenshot", self.session, format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Chromium(tmp_path_factory.mktemp("chromium") / "profile")
    yield b
    b.close()


# the course's habit: the loss curve drawn in train (lecture 05); the report shows it
DRAWS_LOSS_CURVE = ("        optimizer.step()\n    return losses",
                    "        optimizer.step()\n    import matplotlib.pyplot as plt\n    plt.plot(losses)\n"
                    "    plt.xlabel('epoch')\n    plt.show()\n    return losses")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A real batch of three lecture05 submissions: the reference, a known mistake, untouched stubs."""
    root = tmp_path_factory.mktemp("batch")
    for name, change in (("ada", DRAWS_LOSS_CURVE), ("ben", ('nn.MSELoss(reduction="sum")', "nn.MSELoss()")), ("cy", "stub")):
        dest = root / name
        shutil.copytree(REPO / "exercises" / "lecture05" if change == "stub" else SOLUTIONS / "lecture05", dest)
        if isinstance(change, tuple):
            (dest / "training.py").write_text((dest / "training.py").read_text().replace(*change))
    out = root / "out"
    r = run_grader("grade", *(str(root / n) for n in ("ada", "ben", "cy")), "--lecture", "lecture05", "--out",
                   str(out), "--jobs", "2", "--no-progress", timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / ".gitignore").write_text("*\n")  # screenshots are test output, never committed
    return OUTPUT


def assert_offline_and_clean(page: Page) -> None:
    # a data: address (a figure the learner's code drew) is the page's own bytes, never the network
    others = [r for r in page.requests if not r.startswith("data:image/png;base64,")]
    assert others == [page.url], f"the page made other requests: {others}"
    assert page.errors == [], page.errors


def test_harness_sees_requests_and_errors(browser, tmp_path):
    """Control: a page that loads a remote image and logs an error is caught on both counts."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><img src="http://example.invalid/x.png">'
                   "<script>console.error('boom')</script><p>bad</p>")
    page = browser.open(bad.as_uri())
    assert "http://example.invalid/x.png" in page.requests
    assert any("boom" in e for e in page.errors), page.errors


def test_class_page_shows_scores_and_charts_offline(browser, batch, capsys):
    page = browser.open((batch / "index.html").as_uri())
    assert_offline_and_clean(page)
    dom = page.dom()
    assert "Class report · lecture05" in dom and "3 submissions" in dom
    for name, score in (("ada", "11"), ("ben", "8"), ("cy", "0")):
        assert f'href="submissions/{name}/report.html">{name}</a>' in dom
        assert f"<strong>{score}</strong> / 11" in dom, name
    heights = page.evaluate("[...document.querySelectorAll('#histogram rect.bar')].map(r => r.getBoundingClientRect().height)")
    assert len(heights) == 10 and sum(h > 0 for h in heights) == 3  # 0 %, 72 %, 100 %: three bars drawn
    widths = page.evaluate("[...document.querySelectorAll('#pass-rates rect.rate')].map(r => r.getBoundingClientRect().width)")
    assert len(widths) == 8 and max(widths) > 100 and min(widths) > 0  # every check passed by some, by nobody all
    shot = page.screenshot(output_dir() / "class-page.png")
    with capsys.disabled():
        print(f"\nscreenshot of the class page: {shot}")
    assert shot.stat().st_size > 10_000


def test_student_report_shows_failures_offline(browser, batch, capsys):
    report = batch / "submissions" / "ben" / "report.html"
    page = browser.open(report.as_uri())
    assert_offline_and_clean(page)
    dom = page.dom()
    assert 'id="score">8 / 11<' in dom and "criterion_sum" in dom and "reduction='sum'" in dom
    # the failure shows its diagnosis (the message), not the check's answer-giving hint (issue 14)
    assert "Return nn.MSELoss(reduction=" not in dom and 'href="../../index.html"' in dom
    visible = page.evaluate("document.body.innerText")
    assert "Total: 8 / 11" in visible and "failed" in visible
    bar = page.evaluate("document.querySelector('.score svg rect:nth-of-type(2)').getBoundingClientRect().width")
    assert 150 < bar < 200  # 8/11 of the 260-pixel bar
    shot = page.screenshot(output_dir() / "student-report.png")
    with capsys.disabled():
        print(f"\nscreenshot of a student's report: {shot}")
    assert shot.stat().st_size > 10_000


def test_student_report_shows_the_figure_the_code_drew(browser, batch, capsys):
    """ada's train() draws the loss curve: the report shows it as a decoded image (the page's CSP
    allows data: images and nothing else), with a caption naming the function that drew it."""
    page = browser.open((batch / "submissions" / "ada" / "report.html").as_uri())
    assert_offline_and_clean(page)
    size = page.evaluate("[...document.querySelectorAll('.figures img')].map(i => [i.complete, i.naturalWidth, "
                         "i.naturalHeight, i.getBoundingClientRect().width])")
    assert len(size) == 1, size
    complete, width, height, shown = size[0]
    assert complete and 300 < width <= 800 and 200 < height <= 800 and shown > 200, size
    visible = page.evaluate("document.body.innerText")
    assert "Figures your code drew" in visible and "drawn by train (training.py)" in visible
    shot = page.screenshot(output_dir() / "student-report-figure.png")
    with capsys.disabled():
        print(f"\nscreenshot of a report with the learner's figure: {shot}")


def test_chinese_report_shows_every_word_in_chinese(browser, tmp_path, capsys):
    """A learner's report in Chinese (``grader --lang zh check --html``): the page says it is Chinese
    (``lang="zh-CN"``), opens offline, and its labels, statuses, descriptions and the failure's message
    are Chinese; code and numbers stay as they are."""
    wd = tmp_path / "course"
    shutil.copytree(REPO / "exercises" / "lecture05", wd / "exercises" / "lecture05")
    for src in (SOLUTIONS / "lecture05").glob("*.py"):
        shutil.copy(src, wd / "exercises" / "lecture05" / src.name)
    training = wd / "exercises" / "lecture05" / "training.py"
    training.write_text(training.read_text().replace('nn.MSELoss(reduction="sum")', "nn.MSELoss()")
                        .replace(*DRAWS_LOSS_CURVE))
    report = tmp_path / "report.html"
    r = run_grader("--lang", "zh", "check", "lecture05", "--workdir", str(wd), "--html", str(report), timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    page = browser.open(report.as_uri())
    assert_offline_and_clean(page)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    visible = page.evaluate("document.body.innerText")
    assert "lecture05 · 用PyTorch实现线性回归" in visible and "8 / 11" in visible
    for word in ("检查", "状态", "分数", "未通过", "通过", "设备", "损失是 7，即平方误差的平均值", "平方误差之和",
                 "你的代码画的图", "由 train (training.py) 画出"):
        assert word in visible, word
    for english in ("passed", "failed", "not attempted", "check\t", "hint:", "device cpu", "the loss is 7", "drawn by"):
        assert english not in visible, english
    assert "reduction='sum'" in visible  # code stays as it is
    shot = page.screenshot(output_dir() / "student-report-zh.png")
    with capsys.disabled():
        print(f"\nscreenshot of a Chinese report: {shot}")
    assert shot.stat().st_size > 10_000
