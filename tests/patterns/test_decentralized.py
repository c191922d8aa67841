"""The decentralized pattern (examples/patterns/decentralized), run by its own script.

Two teams' gateways, each serving its own API from its own signed bundle, one key
manager, one Redis, one analytics collector, all on loopback. The test checks what the
pattern promises:
  - each team's gateway runs only bundles signed by that team's key (the other team's
    bundle is refused by `bundle verify` and by `postern run`);
  - a token of an application subscribed to team A's API is accepted by team A's gateway
    and refused by team B's (403 900908: subscription binding, validate_subscription);
    team B's gateway does not even route team A's API (404);
  - an application tier (10 a minute) is one quota across both gateways (Redis): calls
    alternating between the gateways are admitted 10 to 11 times in all (the documented
    bound limit + (N-1) x cap, cap 1 here), both gateways refuse the rest with 429 900803,
    and both see the fleet count from Redis;
  - every request the test made on either gateway reaches the one collector: the events
    per node, API and status equal what was sent, and `postern analytics report` shows
    both teams' APIs with their owners and counts;
  - a token revoked at the one key manager is refused by both teams' gateways (their
    polled revocation lists; the delay is printed).
Times are printed, not asserted.
"""
import collections
import datetime
import json
import os
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.parse

import jwt
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import patternlib  # noqa: E402

NODES = {"A": "team-a", "B": "team-b"}


def code_of(response):
    try:
        return response.json().get("code")
    except ValueError:
        return None


class Decentralized(patternlib.PatternTest):
    PATTERN = "decentralized"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.since_us = int(time.time() * 1_000_000)
        cls.sent = collections.Counter()  # (node, api, status) of every request the test made
        cls.session = requests.Session()

    @classmethod
    def tearDownClass(cls):
        cls.session.close()
        super().tearDownClass()

    # --- helpers ---------------------------------------------------------------------------

    def token(self, app):
        r = self.session.post(self.p["KM_URL"] + "/oauth2/token", data={"grant_type": "client_credentials"},
                              auth=(self.p[f"{app}_CLIENT_ID"], self.p[f"{app}_CLIENT_SECRET"]), timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()["access_token"]

    def call(self, team, path, token=None):
        headers = {"Authorization": "Bearer " + token} if token else {}
        r = self.session.get(self.p[f"TEAM_{team}_URL"] + path, headers=headers, timeout=10)
        api = {"/orders/": "Orders", "/payments/": "Payments"}.get(path[:path.find("/", 1) + 1], "")
        if r.status_code == 404:
            api = ""  # no route matched on this gateway: the event names no API
        self.sent[(NODES[team], api, r.status_code)] += 1
        return r

    # --- the pattern's promises -------------------------------------------------------------

    def test_1_each_gateway_runs_only_its_own_teams_bundle(self):
        for own, other in (("A", "B"), ("B", "A")):
            bundle = self.p[f"TEAM_{own}_BUNDLE"]
            ok = subprocess.run([patternlib.POSTERN, "bundle", "verify", bundle, "--trust", self.p[f"TEAM_{own}_PUB"]],
                                capture_output=True, text=True, timeout=30)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertIn("ok", ok.stdout)
            refused = subprocess.run([patternlib.POSTERN, "bundle", "verify", bundle,
                                      "--trust", self.p[f"TEAM_{other}_PUB"]], capture_output=True, text=True, timeout=30)
            self.assertEqual(refused.returncode, 1, refused.stdout)
            self.assertIn("not trusted", refused.stderr)
            # A gateway trusting only the other team's key does not start on this bundle.
            run = subprocess.run([patternlib.POSTERN, "run", bundle, "--trust", self.p[f"TEAM_{other}_PUB"]],
                                 capture_output=True, text=True, timeout=30)
            self.assertNotEqual(run.returncode, 0, run.stdout + run.stderr)
            self.assertIn("not trusted", run.stdout + run.stderr)

    def test_2_team_a_token_is_accepted_by_team_a_and_refused_by_team_b(self):
        shop = self.token("SHOP")  # application shop: subscribed to team A's Orders only
        claims = jwt.decode(shop, options={"verify_signature": False})
        self.assertEqual([(s["name"], s["version"]) for s in claims["subscribedAPIs"]], [("Orders", "1.0.0")])
        self.assertEqual(claims["aud"], ["postern"], "one audience for every token of the key manager")

        r = self.call("A", "/orders/1.0.0/orders", shop)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["path"], "/orders")
        self.assertEqual(self.call("A", "/orders/1.0.0/orders/42", shop).status_code, 200)
        r = self.call("B", "/payments/1.0.0/payments", shop)
        self.assertEqual((r.status_code, code_of(r)), (403, 900908), r.text)
        r = self.call("B", "/orders/1.0.0/orders", shop)  # team B does not serve team A's API at all
        self.assertEqual(r.status_code, 404, r.text)

        billing = self.token("BILLING")  # subscribed to team B's Payments only
        r = self.call("B", "/payments/1.0.0/payments/7", billing)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["path"], "/payments/7")
        r = self.call("A", "/orders/1.0.0/orders", billing)
        self.assertEqual((r.status_code, code_of(r)), (403, 900908), r.text)

        r = self.call("B", "/payments/1.0.0/payments")  # no token at all
        self.assertEqual((r.status_code, code_of(r)), (401, 900902), r.text)

    def test_3_application_quota_is_shared_by_both_gateways_through_redis(self):
        # Fleet10 is 10 requests per clock minute for the application, on any gateway. Keep
        # all calls in one window.
        left = 60 - time.time() % 60
        if left < 8:
            time.sleep(left + 0.5)
        portal = self.token("PORTAL")
        claims = jwt.decode(portal, options={"verify_signature": False})
        self.assertEqual(claims["application"]["tier"], "Fleet10")
        admitted = collections.Counter()
        refused = collections.Counter()
        others = []
        started = time.monotonic()
        for i in range(20):
            team = "AB"[i % 2]
            path = "/orders/1.0.0/orders" if team == "A" else "/payments/1.0.0/payments"
            r = self.call(team, path, portal)
            if r.status_code == 200:
                admitted[team] += 1
            elif (r.status_code, code_of(r)) == (429, 900803):
                refused[team] += 1
                self.assertIn("Retry-After", r.headers)
            else:
                others.append((team, r.status_code, r.text))
            # Paced above sync_interval (100 ms) so each admission is confirmed by Redis
            # before the next call: the count then shows the fleet limit, not the per-node
            # allowance of unconfirmed admissions.
            time.sleep(0.15)
        total = sum(admitted.values())
        print(f"\n[decentralized] 20 calls alternating team A / team B in {time.monotonic() - started:.1f} s: "
              f"admitted A={admitted['A']} B={admitted['B']} (total {total}, limit 10, bound 11), "
              f"refused 429 A={refused['A']} B={refused['B']}", file=sys.stderr)
        self.assertEqual(others, [])
        self.assertGreaterEqual(total, 10, "the fleet admitted fewer than the limit")
        self.assertLessEqual(total, 11, "the fleet admitted more than limit + (N-1) x cap: not one shared quota")
        for team in "AB":
            self.assertGreater(admitted[team], 0, f"team {team}'s gateway admitted nothing")
            self.assertGreater(refused[team], 0, f"team {team}'s gateway refused nothing")

        # Both gateways see the fleet's count (docs/throttling.md: key app|<application>|<user>).
        key = urllib.parse.quote(f"app|{claims['application']['id']}|{claims['sub']}", safe="")

        def fleet_counts():
            counts = {}
            for team in "AB":
                r = self.session.get(self.p[f"TEAM_{team}_ADMIN"] + "/throttle/counters?key=" + key, timeout=5)
                if r.status_code != 200:
                    return None
                counts[team] = r.json()
            return counts

        # Each node's fleet_count is the Redis total at its last sync: at least the limit on
        # both (that is why both refuse), and the whole total on the node that synced last.
        def settled():
            c = fleet_counts()
            if c and all(v["fleet_count"] >= 10 for v in c.values()) and \
                    max(v["fleet_count"] for v in c.values()) == total:
                return c
            return None

        counts = patternlib.eventually(settled, timeout=10)
        self.assertTrue(counts, f"gateways' view of the fleet count (total {total}): {fleet_counts()}")
        print("[decentralized] /throttle/counters: " + ", ".join(
            f"team {t}: node_count {v['node_count']} fleet_count {v['fleet_count']}" for t, v in counts.items()),
            file=sys.stderr)
        self.assertEqual({t: v["node_count"] for t, v in counts.items()}, dict(admitted))
        self.assertTrue(all(v["redis_up"] and v["distributed"] for v in counts.values()), counts)

    def test_4_both_teams_analytics_end_in_one_report(self):
        expected = sum(self.sent.values())
        self.assertGreater(expected, 0)
        db = self.p["COLLECTOR_DB"]

        def stored():
            if not os.path.exists(db):
                return collections.Counter()
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
                try:
                    rows = conn.execute("SELECT node, api, status, COUNT(*) FROM events WHERE ts_us >= ? "
                                        "GROUP BY node, api, status", (self.since_us,)).fetchall()
                except sqlite3.OperationalError:  # tables not created yet
                    return collections.Counter()
            return collections.Counter({(n, a, s): c for n, a, s, c in rows})

        started = time.monotonic()
        arrived = patternlib.eventually(lambda: sum(stored().values()) >= expected, timeout=60, interval=0.2)
        print(f"\n[decentralized] {expected} events of both gateways at the collector "
              f"{time.monotonic() - started:.1f} s after the last request", file=sys.stderr)
        self.assertTrue(arrived, f"the collector has {sum(stored().values())} of {expected} events")
        self.assertEqual(stored(), self.sent, "events per (node, api, status) differ from the requests made")
        self.assertEqual({n for n, _, _ in stored()}, {"team-a", "team-b"})

        since = datetime.datetime.fromtimestamp(self.since_us / 1e6, datetime.timezone.utc)
        report = subprocess.run([patternlib.POSTERN, "analytics", "report", "--db", db, "--format", "json",
                                 "--since", since.strftime("%Y-%m-%dT%H:%M:%S.%fZ")],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(report.returncode, 0, report.stderr)
        data = json.loads(report.stdout)
        self.assertEqual(data["totals"]["requests"], expected)
        apis = {(a["api"], a["api_version"]): a for a in data["apis"]}
        for name, owner in (("Orders", "team-a"), ("Payments", "team-b")):
            want = sum(c for (_, api, _), c in self.sent.items() if api == name)
            self.assertIn((name, "1.0.0"), apis, data["apis"])
            self.assertEqual(apis[(name, "1.0.0")]["requests"], want, name)
            self.assertEqual(apis[(name, "1.0.0")]["owner"], owner, name)
        throttled = sum(c for (_, _, status), c in self.sent.items() if status == 429)
        self.assertEqual(data["totals"]["throttled"], throttled)

    def test_5_a_revocation_at_the_one_key_manager_reaches_both_teams(self):
        # Runs after the analytics check: its calls are not in the counts above.
        token = self.token("PORTAL")  # subscribed to both teams' APIs
        paths = {"A": "/orders/1.0.0/orders", "B": "/payments/1.0.0/payments"}
        for team, path in paths.items():  # accepted (200, or 429 while Fleet10 is used up)
            self.assertIn(self.call(team, path, token).status_code, (200, 429))
        r = self.session.post(self.p["KM_URL"] + "/oauth2/revoke", data={"token": token},
                              auth=(self.p["PORTAL_CLIENT_ID"], self.p["PORTAL_CLIENT_SECRET"]), timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        revoked_at = time.monotonic()
        refused_after = {}

        def both_refuse():
            for team, path in paths.items():
                if team not in refused_after:
                    r = self.call(team, path, token)
                    if (r.status_code, code_of(r)) == (401, 900901):
                        refused_after[team] = time.monotonic() - revoked_at
            return len(refused_after) == 2

        ok = patternlib.eventually(both_refuse, timeout=15, interval=0.05)
        print(f"\n[decentralized] revoked at the key manager; refused by team A after "
              f"{refused_after.get('A', float('nan')) * 1000:.0f} ms, team B after "
              f"{refused_after.get('B', float('nan')) * 1000:.0f} ms (revocations_poll 2s)", file=sys.stderr)
        self.assertTrue(ok, f"still accepted 15 s after the revocation by: {set('AB') - set(refused_after)}")


if __name__ == "__main__":
    unittest.main()
