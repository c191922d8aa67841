"""Runs an examples/patterns/<name>/run script for a test and stops it again.

The script's conventions are in examples/patterns/lib.sh: it prints "pattern <name>:
ready" once everything answers and writes $WORK/endpoints.env (KEY=VALUE). `Pattern`
starts it with POSTERN and WORK set, waits (bounded) for that line, exposes the endpoints,
and on stop() sends SIGTERM and checks that the script exited 0 and that every process it
started (the $WORK/*.pid files) is gone and its network namespaces are removed.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
POSTERN = os.environ.get("POSTERN_BINARY") or os.path.join(REPO, "build", "postern")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def eventually(predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def netns_list():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


class Pattern:
    def __init__(self, name, env=None, ready_timeout=60.0):
        self.name = name
        self.work = tempfile.mkdtemp(prefix=f"pattern-{name}-")
        self.suffix = f"t{os.getpid()}"
        script = os.path.join(REPO, "examples", "patterns", name, "run")
        full_env = dict(os.environ, POSTERN=POSTERN, WORK=self.work, NS_SUFFIX=self.suffix)
        full_env.update(env or {})
        self.output = []
        self._ready = threading.Event()
        self.proc = subprocess.Popen([script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=full_env, cwd=REPO)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + ready_timeout
        while not self._ready.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                break
        if not self._ready.is_set():
            self.stop(check=False)
            why = f"exited {self.proc.returncode}" if self.proc.poll() is not None else f"not ready in {ready_timeout}s"
            raise AssertionError(f"pattern {name} {why}:\n" + self.text() + self.logs())
        self.endpoints = {}
        with open(os.path.join(self.work, "endpoints.env")) as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("=")
                if key:
                    self.endpoints[key] = value

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)
            if line.strip() == f"pattern {self.name}: ready":
                self._ready.set()

    def __getitem__(self, key):
        return self.endpoints[key]

    def text(self):
        return "".join(self.output)

    def log(self, name):
        try:
            with open(os.path.join(self.work, name + ".log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def logs(self):
        out = []
        for entry in sorted(os.listdir(self.work)) if os.path.isdir(self.work) else []:
            if entry.endswith(".log"):
                out.append(f"----- {entry} -----\n{self.log(entry[:-4])[-4000:]}")
        return "\n".join(out)

    def pids(self):
        pids = {}
        for entry in os.listdir(self.work):
            if entry.endswith(".pid"):
                with open(os.path.join(self.work, entry)) as f:
                    pids[entry[:-4]] = int(f.read().strip())
        return pids

    def sanitizer_reports(self):
        return [name for name in os.listdir(self.work) if name.endswith(".log")
                and any(m in self.log(name[:-4]) for m in SANITIZER_MARKERS)]

    def stop(self, check=True):
        """SIGTERM to the script; returns problems found (empty when it cleaned up)."""
        problems = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append("the run script did not exit within 60 s of SIGTERM")
        if check:
            if self.proc.returncode != 0:
                problems.append(f"the run script exited {self.proc.returncode}")
            for name, pid in self.pids().items():
                try:
                    os.kill(pid, 0)
                    problems.append(f"{name} (pid {pid}) still runs after the script stopped")
                except ProcessLookupError:
                    pass
            left = [ns for ns in netns_list() if ns.endswith("-" + self.suffix)]
            if left:
                problems.append(f"network namespaces left behind: {left}")
            problems += [f"sanitizer report in {n}" for n in self.sanitizer_reports()]
        return problems

    def cleanup(self):
        subprocess.run(["rm", "-rf", self.work])


class PatternTest(unittest.TestCase):
    """A test class around one run of a pattern: started once for the class (PATTERN, with
    ENV added to its environment), stopped at the end with its cleanup checked (the logs
    are printed and the folder kept when it failed), and the pattern's output and logs
    printed under any failing test."""
    PATTERN = None
    ENV = None

    @classmethod
    def setUpClass(cls):
        started = time.monotonic()
        cls.p = Pattern(cls.PATTERN, env=cls.ENV)
        print(f"\n[{cls.PATTERN}] run script ready after {time.monotonic() - started:.1f} s", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        problems = cls.p.stop()
        if problems:
            print(cls.p.logs(), file=sys.stderr)
            raise AssertionError("; ".join(problems))
        cls.p.cleanup()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            print(self.p.text() + self.p.logs(), file=sys.stderr)
        return out
