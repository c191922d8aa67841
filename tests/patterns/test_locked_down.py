"""The locked-down pattern (examples/patterns/locked-down): key manager, gateway, backend
and analytics files in one network namespace whose only route out is a dummy black-hole
interface.

It proves, through the pattern's own run script:
  - tokens from the key manager next to the gateway are validated and served, requests
    without one are refused, and every request's event is on the analytics disk;
  - nothing tried to leave: the black hole saw zero packets (and the check can fail: one
    datagram sent towards the outside afterwards is counted);
  - once a link to a collector exists (SIGUSR1 to the script), every event arrives at the
    collector exactly once (one row per request id, the count equal to the requests made);
  - the run script stops everything it started and removes its namespace.
"""
import glob
import json
import os
import re
import signal
import sqlite3
import subprocess
import unittest

from patternlib import PatternTest, eventually

CLIENT = r"""
import http.client, json, sys
token, authorized, anonymous = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=10)
statuses = {}
for i in range(authorized + anonymous):
    headers = {"Authorization": "Bearer " + token} if i < authorized else {}
    c.request("GET", "/inventory/1.0.0/parts/%d" % i, headers=headers)
    r = c.getresponse()
    r.read()
    statuses[r.status] = statuses.get(r.status, 0) + 1
print(json.dumps(statuses))
"""


class LockedDown(PatternTest):
    PATTERN = "locked-down"
    AUTHORIZED, ANONYMOUS = 150, 20

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ns = cls.p["NS"]

    def in_ns(self, *argv, timeout=60):
        r = subprocess.run(["ip", "netns", "exec", self.ns, *argv], capture_output=True, text=True, timeout=timeout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def blackhole_tx(self):
        out = subprocess.run(["ip", "-n", self.ns, "-s", "-j", "link", "show", "blackhole0"], capture_output=True,
                             text=True, check=True).stdout
        return json.loads(out)[0]["stats64"]["tx"]["packets"]

    def events_on_disk(self):
        total = 0
        for path in glob.glob(os.path.join(self.p["ANALYTICS"], "outbox", "*")):
            m = re.search(r"~(\d+)\.jsonl", os.path.basename(path))
            total += int(m.group(1)) if m else 0
        return total

    def test_locked_down_then_uploaded_exactly_once(self):
        answer = self.in_ns("curl", "-sf", "-u", f"{self.p['CLIENT_ID']}:{self.p['CLIENT_SECRET']}",
                            "-d", "grant_type=client_credentials", "http://127.0.0.1:9443/oauth2/token")
        token = json.loads(answer)["access_token"]
        statuses = json.loads(self.in_ns("/usr/bin/python3", "-c", CLIENT, token, str(self.AUTHORIZED),
                                         str(self.ANONYMOUS)))
        self.assertEqual(statuses, {"200": self.AUTHORIZED, "401": self.ANONYMOUS})
        requests = self.AUTHORIZED + self.ANONYMOUS

        # Every event is sealed on the analytics disk (rotate_age 1s), none uploaded.
        self.assertTrue(eventually(lambda: self.events_on_disk() == requests, timeout=30),
                        f"{self.events_on_disk()} events on disk, {requests} requests")
        # Nothing tried to leave the namespace...
        self.assertEqual(self.blackhole_tx(), 0, "a packet went to the black hole")
        # ... and the check can fail: a datagram towards the outside is counted.
        self.in_ns("/usr/bin/python3", "-c",
                   "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('192.0.2.1', 9))")
        self.assertEqual(self.blackhole_tx(), 1)

        # A link to a collector appears: everything arrives, exactly once.
        os.kill(int(self.p["SCRIPT_PID"]), signal.SIGUSR1)
        self.assertTrue(eventually(lambda: "pattern locked-down: connected" in self.p.text(), timeout=60),
                        self.p.text() + self.p.logs())
        db = self.p["COLLECTOR_DB"]

        def stored():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
                    return c.execute("SELECT COUNT(*), COUNT(DISTINCT request_id) FROM events").fetchone()
            except sqlite3.Error:
                return (0, 0)

        self.assertTrue(eventually(lambda: stored()[0] >= requests and self.events_on_disk() == 0, timeout=60),
                        f"stored {stored()}, on disk {self.events_on_disk()}\n" + self.p.logs())
        self.assertEqual(stored(), (requests, requests))
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            by_status = dict(c.execute("SELECT status, COUNT(*) FROM events GROUP BY status").fetchall())
            gaps = c.execute("SELECT COUNT(*) FROM gaps").fetchone()[0]
        self.assertEqual(by_status, {200: self.AUTHORIZED, 401: self.ANONYMOUS})
        self.assertEqual(gaps, 0, "no event may be lost to the disk budget here")


if __name__ == "__main__":
    unittest.main()
