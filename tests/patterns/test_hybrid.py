"""The hybrid pattern (examples/patterns/hybrid): the gateway on-premises in one network
namespace, the control plane (nginx serving signed bundles over HTTPS) in another.

It proves, through the pattern's own run and publish scripts:
  - publishing a new bundle changes the routes without a restart (same gateway PID) and
    without a failed request (a client sends requests throughout the switch);
  - a tampered bundle and an older bundle are refused and the current one stays;
  - the control plane going away (its link down) changes nothing for clients or /ready,
    and the gateway counts the failed polls; back again, it is polled again;
  - the run script stops everything it started and removes its namespaces.
"""
import json
import os
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

from patternlib import POSTERN, REPO, PatternTest, eventually

PUBLISH = os.path.join(REPO, "examples", "patterns", "hybrid", "publish")


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def metric(admin, series):
    status, body = get(admin + "/metrics")
    if status != 200:
        return None
    for line in body.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None


class Hybrid(PatternTest):
    PATTERN = "hybrid"
    ENV = {"POLL": "200ms", "FETCH_TIMEOUT": "1s"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gw, cls.admin = cls.p["GATEWAY"], cls.p["ADMIN"]

    def publish(self, *args):
        r = subprocess.run([PUBLISH, *args], env=dict(os.environ, WORK=self.p.work, POSTERN=POSTERN),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def sequence(self):
        status, body = get(self.admin + "/ready")
        return json.loads(body)["bundle"]["sequence"] if status == 200 else None

    def refused(self):
        return metric(self.admin, 'postern_control_plane_polls_total{result="refused"}') or 0

    def gateway_pid(self):
        return self.p.pids()["gateway"]

    def test_1_new_bundle_changes_routes_without_restart_or_failed_request(self):
        self.assertEqual(self.sequence(), 1, self.p.logs())
        self.assertEqual(get(self.gw + "/orders/v1/items/7")[0], 200)
        self.assertEqual(get(self.gw + "/orders/v1/items/7/status")[0], 404)
        pid = self.gateway_pid()

        results, stop = [], threading.Event()

        def load():
            # Paced and capped below the Unauthenticated tier (500 a minute per client).
            while not stop.is_set() and len(results) < 400:
                results.append(get(self.gw + "/orders/v1/items/7")[0])
                time.sleep(0.005)

        t = threading.Thread(target=load)
        t.start()
        time.sleep(0.3)
        self.publish("v2", "2")
        switched = eventually(lambda: get(self.gw + "/orders/v1/items/7/status")[0] == 200, timeout=15)
        during = len(results)
        time.sleep(0.3)
        stop.set()
        t.join()
        self.assertTrue(switched, self.p.log("gateway"))
        failures = [s for s in results if s != 200]
        self.assertEqual(failures, [], f"{len(results)} requests")
        self.assertGreater(during, 10)
        self.assertGreater(len(results), during, "requests must run after the switch too")
        self.assertEqual(self.sequence(), 2)
        self.assertEqual(self.gateway_pid(), pid)
        self.assertIn("bundle sequence 2", self.p.log("gateway"))
        self.assertNotIn("postern: ready", self.p.log("gateway").split("bundle sequence 2")[1],
                         "the gateway must not have restarted")

    def test_2_tampered_and_older_bundles_are_refused(self):
        self.assertTrue(eventually(lambda: self.sequence() == 2, timeout=15))
        built = os.path.join(self.p.work, "v3.bundle")
        subprocess.run([POSTERN, "bundle", "build", os.path.join(REPO, "examples/patterns/hybrid/projects/v1"),
                        "-o", built, "--sign", os.path.join(self.p.work, "keys/publisher.key"), "--sequence", "3"],
                       check=True, capture_output=True, timeout=60)
        with open(built, "rb") as f:
            data = bytearray(f.read())
        at = data.find(b"/items/{id}: {get: {}}")
        self.assertGreater(at, 0)
        data[at + 1] = ord("j")  # /jtems: one byte changed in a signed file
        tampered = os.path.join(self.p.work, "tampered.bundle")
        with open(tampered, "wb") as f:
            f.write(data)

        before = self.refused()
        self.publish("--file", tampered)
        self.assertTrue(eventually(lambda: self.refused() > before, timeout=15), self.p.log("gateway"))
        self.assertIn("does not match its SHA-256 in the manifest", self.p.log("gateway"))
        before = self.refused()
        self.publish("v1", "1")
        self.assertTrue(eventually(lambda: self.refused() > before, timeout=15), self.p.log("gateway"))
        self.assertIn("sequence 1 is not above the active bundle's 2 (rollback protection)", self.p.log("gateway"))
        self.assertEqual(self.sequence(), 2)
        self.assertEqual(get(self.gw + "/orders/v1/items/7/status")[0], 200)

    def test_3_control_plane_away_changes_nothing(self):
        cp_ns = self.p["CP_NS"]
        errors = metric(self.admin, 'postern_control_plane_polls_total{result="error"}') or 0
        subprocess.run(["ip", "-n", cp_ns, "link", "set", "cp0", "down"], check=True)
        try:
            self.assertTrue(eventually(
                lambda: (metric(self.admin, 'postern_control_plane_polls_total{result="error"}') or 0) > errors,
                timeout=30), self.p.log("gateway"))
            statuses = [get(self.gw + "/orders/v1/items/7/status")[0] for _ in range(20)]
            self.assertEqual(statuses, [200] * 20)
            self.assertEqual(self.sequence(), 2)
        finally:
            subprocess.run(["ip", "-n", cp_ns, "link", "set", "cp0", "up"], check=True)
        answers = metric(self.admin, "postern_control_plane_last_answer_timestamp_seconds")
        self.assertTrue(eventually(
            lambda: metric(self.admin, "postern_control_plane_last_answer_timestamp_seconds") > answers, timeout=30),
            self.p.log("gateway"))


if __name__ == "__main__":
    unittest.main()
