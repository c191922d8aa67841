"""The multi-DC pattern (examples/patterns/multi-dc): two data centres as network
namespaces, each with a gateway, its own Redis and a backend; the key manager and the
collector in DC1; DC2 reaches them only through the relay (30 ms each way). Runs the
example's own `run` script and checks what the pattern promises:

1. One key manager's tokens work in both DCs (a token fetched in either DC is accepted by
   both gateways); the relay's delay is measured and printed.
2. A partition (the relay stopped, through the run script's USR1) keeps both DCs serving
   their clients with the tokens they hold: each gateway validates locally with its cached
   JWKS, although DC2 can no longer reach the key manager (proved: a token request from
   DC2 fails, and DC2's gateway logs failed JWKS fetches and counts failed uploads). Each
   DC's rate limit is enforced from its own Redis: PerDC (20 per minute) admits exactly 20
   in each DC, and each DC's Redis holds its own count of 20.
3. After the partition heals, the analytics of both gateways reach the one collector
   exactly once: the events at the collector are exactly the requests made, no duplicates.
"""
import subprocess
import sys
import time
import unittest

import requests

import patternlib
from pattern_tools import (SIGUSR1, SIGUSR2, exactly_once_problems, httpload, netns, signal_script,
                           wait_for_events)

HOST, PORT = "127.0.0.1", 8080
KM = "http://127.0.0.1:9443"
LIMIT = 20


def say(text):
    print(f"\n[multi-dc] {text}", file=sys.stderr, flush=True)


class MultiDC(patternlib.PatternTest):
    PATTERN = "multi-dc"
    expected = {"dc1": [], "dc2": []}  # ids of the requests each DC's gateway answered
    tokens = {}
    counter = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ns = {"dc1": cls.p["DC1"], "dc2": cls.p["DC2"]}
        cls.client = (cls.p["CLIENT_ID"], cls.p["CLIENT_SECRET"])

    def token(self, dc):
        """A client-credentials token from the key manager, asked from inside `dc`; (token,
        milliseconds)."""
        with netns.entered(self.ns[dc]):
            t0 = time.monotonic()
            r = requests.post(KM + "/oauth2/token", data={"grant_type": "client_credentials"}, auth=self.client,
                              timeout=10, headers={"Connection": "close"})
            ms = (time.monotonic() - t0) * 1000
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()["access_token"], ms

    def call(self, dc, path, token):
        """One request to `dc`'s gateway on a new connection; its status."""
        MultiDC.counter += 1
        rid = f"{dc}-{MultiDC.counter}"
        with netns.entered(self.ns[dc]):
            r = httpload.fetch(HOST, PORT, path, rid, headers=[f"Authorization: Bearer {token}"])
        self.expected[dc].append(rid)
        return r.status

    def admin_metric(self, dc, name):
        with netns.entered(self.ns[dc]):
            text = requests.get("http://127.0.0.1:9101/metrics", timeout=5).text
        return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))

    def test_1_tokens_of_one_key_manager_work_in_both_dcs(self):
        t1, _ = self.token("dc1")
        t2, _ = self.token("dc2")
        # The WAN's cost: GET /health of the key manager on a new connection, from each DC.
        rtt = {}
        for dc in ("dc1", "dc2"):
            times = []
            with netns.entered(self.ns[dc]):
                for i in range(5):
                    t0 = time.monotonic()
                    r = httpload.fetch("127.0.0.1", 9443, "/health", f"rtt-{i}")
                    times.append((time.monotonic() - t0) * 1000)
                    self.assertEqual(r.status, 200)
            rtt[dc] = sorted(times)[2]
        say(f"key manager GET /health (median of 5, new connection): {rtt['dc1']:.1f} ms from DC1, "
            f"{rtt['dc2']:.1f} ms from DC2 through the relay (30 ms each way)")
        MultiDC.tokens = {"dc1": t1, "dc2": t2}
        # Until a gateway's first JWKS fetch its issuer's tokens are refused: wait for it.
        for dc in ("dc1", "dc2"):
            ok = patternlib.eventually(lambda: self.call(dc, "/orders/list", self.tokens[dc]) == 200, timeout=20)
            self.assertTrue(ok, f"{dc}'s gateway never accepted a key-manager token:\n" + self.p.log(f"gw-{dc}"))
        for dc in ("dc1", "dc2"):
            for tok in (t1, t2):  # each DC accepts the other DC's token too: one key manager
                self.assertEqual(self.call(dc, "/orders/list", tok), 200)

    def test_2_partition_keeps_both_dcs_serving(self):
        signal_script(self.p, SIGUSR1, r"multi-dc: partition: relay stopped")
        partitioned_at = time.monotonic()
        # DC2 cannot reach the key manager any more ...
        with netns.entered(self.ns["dc2"]):
            with self.assertRaises(requests.ConnectionError):
                requests.post(KM + "/oauth2/token", data={"grant_type": "client_credentials"}, auth=self.client,
                              timeout=5)
        # ... and its gateway notices (jwks_refresh 2s): wait for a failed fetch in its log.
        def jwks_failure():
            return [line for line in self.p.log("gw-dc2").splitlines() if "cannot fetch JWKS" in line]
        jwks_failed = patternlib.eventually(jwks_failure, timeout=15)
        say("DC2's gateway during the partition: " + (jwks_failed[-1] if jwks_failed else "(no JWKS failure logged)"))
        self.assertTrue(jwks_failed, "DC2's gateway logged no failed JWKS fetch during the partition")
        # Both DCs keep serving the tokens their clients hold.
        for dc in ("dc1", "dc2"):
            statuses = [self.call(dc, "/orders/list", self.tokens[dc]) for _ in range(30)]
            self.assertEqual(statuses, [200] * 30, f"{dc} during the partition")
        # Each DC's limit comes from its own Redis: 20 per minute admitted in each.
        left = 60 - time.time() % 60
        if left < 8:
            time.sleep(left + 0.5)
        admitted = {}
        for dc in ("dc1", "dc2"):
            statuses = [self.call(dc, "/orders/limited", self.tokens[dc]) for _ in range(LIMIT + 10)]
            self.assertEqual(set(statuses) - {200, 429}, set(), statuses)
            admitted[dc] = statuses.count(200)
        redis_counts = {}
        for dc in ("dc1", "dc2"):
            out = subprocess.run(["ip", "netns", "exec", self.ns[dc], "redis-cli", "--raw", "--scan", "--pattern",
                                  "*limited*"], capture_output=True, text=True, timeout=10).stdout.splitlines()
            values = [subprocess.run(["ip", "netns", "exec", self.ns[dc], "redis-cli", "--raw", "GET", k],
                                     capture_output=True, text=True, timeout=10).stdout.strip() for k in out]
            redis_counts[dc] = dict(zip(out, values))
        say(f"PerDC ({LIMIT}/min) admitted during the partition: {admitted}; each DC's Redis: {redis_counts}")
        self.assertEqual(admitted, {"dc1": LIMIT, "dc2": LIMIT})
        for dc in ("dc1", "dc2"):
            self.assertEqual(list(redis_counts[dc].values()), [str(LIMIT)], f"{dc}'s Redis")
        # DC2's shipper has tried and failed to upload meanwhile (files wait on its disk).
        failed = patternlib.eventually(
            lambda: self.admin_metric("dc2", "postern_analytics_upload_failures_total") > 0, timeout=15)
        pending = self.admin_metric("dc2", "postern_analytics_files_pending")
        say(f"DC2 during the partition: upload failures {self.admin_metric('dc2', 'postern_analytics_upload_failures_total'):g}, "
            f"files pending {pending:g}; partition lasted {time.monotonic() - partitioned_at:.1f} s so far")
        self.assertTrue(failed, "DC2's gateway never failed an upload: was it partitioned?")

    def test_3_after_healing_every_request_has_exactly_one_event(self):
        signal_script(self.p, SIGUSR2, r"multi-dc: healed")
        healed = time.monotonic()
        all_ids = self.expected["dc1"] + self.expected["dc2"]
        counter, nodes, waited = wait_for_events(self.p["COLLECTOR_DB"], all_ids, timeout=60)
        say(f"collector: {sum(counter.values())} events for {len(all_ids)} requests "
            f"({len(self.expected['dc1'])} in DC1, {len(self.expected['dc2'])} in DC2), complete "
            f"{time.monotonic() - healed:.1f} s after the partition healed")
        self.assertEqual(exactly_once_problems(counter, all_ids), [])
        for dc in ("dc1", "dc2"):
            wrong = [i for i in self.expected[dc] if nodes[i] != dc]
            self.assertEqual(wrong, [], f"events of {dc}'s requests from another node")


if __name__ == "__main__":
    unittest.main()
