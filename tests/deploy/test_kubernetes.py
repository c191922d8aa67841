"""tools/check-kubernetes on deploy/kubernetes, and on broken copies of it.

No cluster exists here: the checker builds every overlay (its own small kustomize, and
`kubectl kustomize` when kubectl is on PATH) and checks the objects. The manifests must
pass; each broken copy must fail with the problem named, so the checker cannot pass by
checking nothing. Run with /usr/bin/python3 (python3-yaml).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CHECKER = os.path.join(ROOT, "tools", "check-kubernetes")
MANIFESTS = os.path.join(ROOT, "deploy", "kubernetes")


def check(directory, *extra):
    out = subprocess.run([sys.executable, CHECKER, directory, *extra], capture_output=True, text=True, timeout=300)
    return out.returncode, out.stdout + out.stderr


class Manifests(unittest.TestCase):
    def test_the_manifests_pass(self):
        rc, out = check(MANIFESTS)
        self.assertEqual(rc, 0, out)
        self.assertIn("check-kubernetes: 4 overlays, 0 problems", out)
        if shutil.which("kubectl"):
            self.assertIn("kubectl kustomize: checked with", out)

    def test_the_full_overlay_names_the_secrets_to_create(self):
        rc, out = check(MANIFESTS, "--no-kubectl")
        self.assertEqual(rc, 0, out)
        self.assertIn("overlays/full: 16 objects; needs Secrets: postern-admin-token, postern-collector, "
                      "postern-keymanager, postern-keymanager-tls, postern-postgres, postern-redis", out)


    def test_the_hybrid_overlay_runs_the_control_plane_file_alone(self):
        rc, out = check(MANIFESTS, "--no-kubectl")
        self.assertEqual(rc, 0, out)
        self.assertIn("overlays/hybrid: 7 objects; needs Secrets: postern-admin-token, postern-control-plane", out)


class BrokenCopies(unittest.TestCase):
    """Each case edits one file of a copy and expects the checker to name the problem."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="postern-k8s-")
        self.copy = os.path.join(self.dir, "kubernetes")
        shutil.copytree(MANIFESTS, self.copy)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def edit(self, rel, old, new):
        path = os.path.join(self.copy, rel)
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text, f"{rel} changed; update this test")
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))

    def assert_fails_with(self, *expected):
        for extra in (("--no-kubectl",), ()) if shutil.which("kubectl") else (("--no-kubectl",),):
            rc, out = check(self.copy, *extra)
            self.assertEqual(rc, 1, out)
            for text in expected:
                self.assertIn(text, out)

    def test_control_plane_state_and_extraction_folders_must_be_writable(self):
        self.edit("overlays/hybrid/gateway-patch.yaml", "            - {name: state, mountPath: /var/lib/postern}\n", "")
        self.edit("overlays/hybrid/gateway-patch.yaml", "            - {name: tmp, mountPath: /tmp}\n", "")
        self.assert_fails_with(
            "overlays/hybrid: Deployment postern-gateway container postern (postern run, control plane): "
            "control_plane.state_dir /var/lib/postern/control-plane is not on a writable volume",
            "(postern run, control plane): /tmp is not on a writable volume (bundles are extracted there)")

    def test_a_control_plane_key_that_is_not_mounted(self):
        self.edit("overlays/hybrid/control/gateway.yaml", "trust: [publisher.pub]", "trust: [publisher2.pub]")
        self.assert_fails_with("(postern run, control plane): control_plane.trust: publisher2.pub is not in any mounted volume")

    def test_a_missing_resource_file(self):
        os.remove(os.path.join(self.copy, "base", "gateway", "pdb.yaml"))
        rc, out = check(self.copy, "--no-kubectl")
        self.assertEqual(rc, 1, out)
        self.assertIn("base/gateway/kustomization.yaml: resource 'pdb.yaml' does not exist", out)

    def test_a_probe_on_a_port_the_container_does_not_declare(self):
        self.edit("base/gateway/deployment.yaml", "httpGet: {path: /ready, port: admin}", "httpGet: {path: /ready, port: adm}")
        self.assert_fails_with("readinessProbe port 'adm' is not a port of the container")

    def test_an_admin_port_that_differs_from_postern_yaml(self):
        self.edit("base/gateway/project/postern.yaml", 'admin: {address: "0.0.0.0:9091"', 'admin: {address: "0.0.0.0:9092"')
        self.assert_fails_with("readinessProbe probes port 9091, the configuration listens on 9092")

    def test_a_listener_that_is_not_a_container_port(self):
        self.edit("overlays/full/project/postern.yaml", 'address: "0.0.0.0:9090"', 'address: "0.0.0.0:8443"')
        self.assert_fails_with("overlays/full: Deployment postern-gateway container postern (postern run): "
                               "listener 0.0.0.0:8443 is not a container port")

    def test_a_config_map_item_whose_key_is_gone(self):
        # The full overlay replaces postern-project without the development certificate:
        # the base's volume, which still lists it, must not survive into that overlay.
        self.edit("overlays/full/gateway-patch.yaml", "        # The project without", "        - name: unused\n          emptyDir: {}\n        # The project without")
        self.edit("overlays/full/gateway-patch.yaml", "        - name: project\n", "        - name: project-unused\n")
        self.assert_fails_with("ConfigMap 'postern-project' has no key 'dev-jwt-signing.pub.pem'")

    def test_a_file_postern_yaml_names_that_is_not_mounted(self):
        self.edit("base/gateway/project/postern.yaml", "certificate: certs/dev-jwt-signing.pub.pem",
                  "certificate: certs/other.pem")
        self.assert_fails_with("security.issuers.certificate: certs/other.pem is not in any mounted volume")

    def test_root_and_a_writable_root_filesystem(self):
        self.edit("base/redis/deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: false")
        self.edit("base/gateway/deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
        self.assert_fails_with("Deployment postern-redis container redis: runAsNonRoot must be true",
                               "Deployment postern-gateway container postern: readOnlyRootFilesystem must be true")

    def test_no_resources_or_a_request_above_its_limit(self):
        self.edit("base/gateway/deployment.yaml", "requests: {cpu: 500m, memory: 64Mi}", "requests: {cpu: 500m, memory: 1Gi}")
        self.edit("base/analytics/collector.yaml", "limits: {cpu: \"1\", memory: 256Mi}", "limits: {cpu: \"1\"}")
        self.assert_fails_with("container postern: memory request above its limit",
                               "container collector: no resources.limits.memory")

    def test_a_grace_period_shorter_than_the_drain(self):
        self.edit("base/gateway/deployment.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 30")
        self.assert_fails_with("terminationGracePeriodSeconds 30 must exceed preStop 5s + drain_timeout 30s")

    def test_a_secret_env_the_container_does_not_set(self):
        self.edit("overlays/full/project/postern.yaml", "password_env: REDIS_PASSWORD", "password_env: REDIS_PASS")
        self.assert_fails_with("throttling.redis.password_env names $REDIS_PASS, which the container does not set")

    def test_a_key_manager_probed_over_plain_http(self):
        self.edit("base/keymanager/deployment.yaml", "httpGet: {path: /ready, port: https, scheme: HTTPS}",
                  "httpGet: {path: /ready, port: https}")
        self.assert_fails_with("(postern keymanager): readinessProbe must use HTTPS")

    def test_a_service_targeting_a_port_nobody_declares(self):
        self.edit("base/gateway/service.yaml", "targetPort: http", "targetPort: web")
        self.assert_fails_with("Service postern-gateway: targetPort 'web' is not a port of")


if __name__ == "__main__":
    unittest.main()
