"""Helpers shared by test_seasonal.py and test_multi_dc.py (not a test itself): the
examples' Python tools on sys.path, waiting for a line of a run script's output, signals
to a run script, and reading what a collector stored."""
import collections
import os
import re
import signal
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.normpath(os.path.join(HERE, "..", "..", "examples", "patterns"))
if EXAMPLES not in sys.path:
    sys.path.insert(0, EXAMPLES)

import httpload  # noqa: E402  (re-exported for the tests)
import netns  # noqa: E402

__all__ = ["httpload", "netns", "wait_line", "signal_script", "collector_events", "wait_for_events",
           "exactly_once_problems", "SIGUSR1", "SIGUSR2"]


def wait_line(pattern, regex, after, timeout=60.0):
    """The first output line of the run script at index >= `after` matching `regex` (a
    re.Match), waiting at most `timeout` seconds; raises AssertionError otherwise."""
    deadline = time.monotonic() + timeout
    rx = re.compile(regex)
    i = after
    while time.monotonic() < deadline:
        while i < len(pattern.output):
            m = rx.search(pattern.output[i])
            i += 1
            if m:
                return m
        if pattern.proc.poll() is not None:
            break
        time.sleep(0.02)
    raise AssertionError(f"no line matching {regex!r} from the run script:\n" + pattern.text()[-3000:] +
                         pattern.logs())


def signal_script(pattern, sig, regex, timeout=60.0):
    """Sends `sig` to the run script and waits for its answer line."""
    mark = len(pattern.output)
    os.kill(pattern.proc.pid, sig)
    return wait_line(pattern, regex, mark, timeout)


def collector_events(db_path):
    """(Counter of request_id, {request_id: node}) of the request events a collector's
    SQLite database holds (read-only; the collector may be writing: WAL mode)."""
    if not os.path.exists(db_path):
        return collections.Counter(), {}
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT request_id, node FROM events WHERE type = 'request'").fetchall()
    except sqlite3.OperationalError:
        rows = con.execute("SELECT request_id, node FROM events").fetchall()
    finally:
        con.close()
    return collections.Counter(r[0] for r in rows), {r[0]: r[1] for r in rows}


def wait_for_events(db_path, expected_ids, timeout=60.0):
    """Waits until every expected id is at the collector (or timeout); returns
    (counter, nodes, seconds waited)."""
    start = time.monotonic()
    while True:
        counter, nodes = collector_events(db_path)
        if all(i in counter for i in expected_ids) or time.monotonic() - start > timeout:
            return counter, nodes, time.monotonic() - start
        time.sleep(0.25)


def exactly_once_problems(counter, expected_ids):
    """What differs between the collector's ids and the requests made: missing, duplicated
    and unexpected ids (at most 10 of each are named)."""
    expected = set(expected_ids)
    missing = sorted(i for i in expected if i not in counter)
    dup = sorted(i for i, n in counter.items() if n > 1)
    extra = sorted(i for i in counter if i not in expected)
    problems = []
    if missing:
        problems.append(f"{len(missing)} requests have no event: {missing[:10]}")
    if dup:
        problems.append(f"{len(dup)} requests have more than one event: {dup[:10]}")
    if extra:
        problems.append(f"{len(extra)} events for requests the test did not make: {extra[:10]}")
    return problems


SIGUSR1, SIGUSR2 = signal.SIGUSR1, signal.SIGUSR2
