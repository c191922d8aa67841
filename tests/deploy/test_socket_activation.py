"""Socket activation (docs/deployment.md, "systemd and socket activation"), end to end.

The test plays systemd's part: it binds and listens on a loopback socket, keeps it, and
starts the real `postern run` with that socket as fd 3, LISTEN_FDS=1 and LISTEN_PID set to
the gateway's own pid (sd_listen_fds(3)), in front of the real `postern echo`. It proves:
  - requests are served on the inherited socket (the gateway cannot have bound the
    address itself: the test's socket holds it without SO_REUSEPORT), and each of the two
    workers holds its own duplicate of it;
  - a restart while the test holds the socket loses no connection: connections made and
    requests sent while no gateway runs wait in the backlog and are answered by the next
    gateway process;
  - an inherited socket that matches no listener stops the gateway with an error naming
    its address; LISTEN_PID naming another process means the fds are not ours.
Every process is started here and stopped by its PID; every wait is bounded.
The binary under test is $POSTERN_BINARY (ctest sets it), else build/postern of this tree.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
POSTERN = os.environ.get("POSTERN_BINARY") or os.path.normpath(os.path.join(HERE, "..", "..", "build", "postern"))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_socket(port=0, backlog=128):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", port))
    s.listen(backlog)
    return s


def eventually(predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def send_request(conn, path="/echo/v1/hello"):
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())


def read_response(conn):
    """Everything until the server closes (Connection: close); bounded by the socket timeout."""
    chunks = []
    while True:
        data = conn.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def get(port, path="/echo/v1/hello"):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
        send_request(c, path)
        return read_response(c)


class Spawned:
    """A process started with fork+exec so that the child can name itself in LISTEN_PID,
    as systemd does; `inherit` becomes its fd 3. Stopped by PID."""

    def __init__(self, argv, log_path, inherit=None, listen_pid_offset=0):
        self.log_path = log_path
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        pid = os.fork()
        if pid == 0:  # child: only async-signal-safe-ish calls, then exec
            try:
                os.dup2(log_fd, 1)
                os.dup2(log_fd, 2)
                env = dict(os.environ)
                if inherit is not None:
                    os.dup2(inherit.fileno(), 3)  # dup2 clears close-on-exec
                    env["LISTEN_FDS"] = "1"
                    env["LISTEN_PID"] = str(os.getpid() + listen_pid_offset)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        os.close(log_fd)
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout):
        eventually(lambda: self.poll() is not None, timeout=timeout)
        return self.poll()

    def stop(self, grace=20.0):
        """SIGTERM (a drain), SIGKILL after `grace` seconds; returns the exit code."""
        if self.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            if self.wait(grace) is None:
                os.kill(self.pid, signal.SIGKILL)
                self.wait(grace)
        return self.returncode

    def log(self):
        return read_text(self.log_path)


class SocketActivation(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="postern-sockact-")
        self.procs = []
        self.echo_port = free_port()
        self.echo = self.spawn([POSTERN, "echo", "--listen", f"127.0.0.1:{self.echo_port}"], "echo.log")
        self.assertTrue(eventually(lambda: self.port_open(self.echo_port)), "echo backend did not start")

    def tearDown(self):
        for p in self.procs:
            p.stop()
        for p in self.procs:
            report = next((m for m in SANITIZER_MARKERS if m in p.log()), None)
            self.assertIsNone(report, f"sanitizer report in {p.log_path}:\n{p.log()[-3000:]}")
        if os.environ.get("POSTERN_TEST_KEEP") == "1":
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def spawn(self, argv, log_name, **kw):
        p = Spawned(argv, os.path.join(self.dir, log_name), **kw)
        self.procs.append(p)
        return p

    @staticmethod
    def readlink(path):
        try:
            return os.readlink(path)
        except OSError:
            return ""

    @staticmethod
    def port_open(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def project(self, listen_port):
        """A project with one listener on 127.0.0.1:listen_port, two workers, an open API."""
        self.admin_port = free_port()
        proj = os.path.join(self.dir, "project")
        os.makedirs(os.path.join(proj, "apis"), exist_ok=True)
        with open(os.path.join(proj, "postern.yaml"), "w") as f:
            f.write(f'listeners:\n  - {{name: http, address: "127.0.0.1:{listen_port}"}}\n'
                    f'admin: {{address: "127.0.0.1:{self.admin_port}"}}\nworkers: 2\napis: apis/\n')
        with open(os.path.join(proj, "apis", "echo.yaml"), "w") as f:
            f.write("openapi: 3.0.3\ninfo: {title: Echo, version: v1}\nx-wso2-basePath: /echo/v1\n"
                    "x-wso2-disable-security: true\n"
                    f"x-wso2-production-endpoints: {{urls: ['http://127.0.0.1:{self.echo_port}']}}\n"
                    "paths:\n  /hello:\n    get: {summary: hello}\n")
        return proj

    def ready(self):
        try:
            with socket.create_connection(("127.0.0.1", self.admin_port), timeout=2) as c:
                c.sendall(b"GET /ready HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n")
                return read_response(c).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def start_gateway(self, proj, sock, log_name):
        gw = self.spawn([POSTERN, "--log-level", "debug", "run", proj], log_name, inherit=sock)
        started = eventually(lambda: self.ready() or gw.poll() is not None)
        self.assertTrue(started and gw.poll() is None, f"gateway did not become ready:\n{gw.log()[-3000:]}")
        return gw

    def test_serves_on_the_inherited_socket_with_every_worker(self):
        sock = listening_socket()
        port = sock.getsockname()[1]
        gw = self.start_gateway(self.project(port), sock, "gateway.log")
        self.assertIn(f"127.0.0.1:{port} (inherited socket)", gw.log())
        for _ in range(40):
            response = get(port)
            self.assertTrue(response.startswith(b"HTTP/1.1 200"), response[:300])
            self.assertIn(b"/hello", response)  # the echo backend answered
        # Each of the two workers accepts on its own duplicate of the one socket, and the
        # fd 3 it was given is closed: exactly two of its fds are this socket.
        inode = f"socket:[{os.fstat(sock.fileno()).st_ino}]"
        fds = os.listdir(f"/proc/{gw.pid}/fd")
        copies = [fd for fd in fds if self.readlink(f"/proc/{gw.pid}/fd/{fd}") == inode]
        self.assertEqual(len(copies), 2, f"fds of the gateway on {inode}: {copies}")
        self.assertNotIn("3", copies)
        self.assertEqual(gw.stop(), 0, gw.log()[-3000:])
        # The gateway closed its copies; the socket is still ours and still listening.
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        sock.close()

    def test_restart_loses_no_connection_made_while_no_gateway_runs(self):
        sock = listening_socket(backlog=128)
        port = sock.getsockname()[1]
        proj = self.project(port)
        first = self.start_gateway(proj, sock, "gateway-1.log")
        self.assertTrue(get(port).startswith(b"HTTP/1.1 200"))
        self.assertEqual(first.stop(), 0, first.log()[-3000:])

        # No gateway runs now. Connections still complete (the kernel queues them on the
        # socket the test holds) and their requests wait, unanswered.
        waiting = []
        for _ in range(20):
            c = socket.create_connection(("127.0.0.1", port), timeout=60)
            send_request(c)
            waiting.append(c)

        second = self.start_gateway(proj, sock, "gateway-2.log")
        for i, c in enumerate(waiting):
            response = read_response(c)
            c.close()
            self.assertTrue(response.startswith(b"HTTP/1.1 200"),
                            f"connection {i} made during the restart got {response[:300]!r}\n{second.log()[-3000:]}")
        self.assertTrue(get(port).startswith(b"HTTP/1.1 200"))
        self.assertEqual(second.stop(), 0, second.log()[-3000:])
        sock.close()

    def test_an_inherited_socket_that_matches_no_listener_is_an_error(self):
        configured, stray = listening_socket(), listening_socket()
        proj = self.project(configured.getsockname()[1])
        configured.close()
        gw = self.spawn([POSTERN, "run", proj], "gateway.log", inherit=stray)
        self.assertEqual(gw.wait(20), 1, gw.log()[-3000:])
        stray_text = f"127.0.0.1:{stray.getsockname()[1]}"
        self.assertIn(f"inherited socket {stray_text}", gw.log())
        self.assertIn("matches no listener", gw.log())
        stray.close()

    @unittest.skipUnless(shutil.which("systemd-socket-activate"), "systemd-socket-activate not installed")
    def test_started_on_the_first_connection_by_systemd_socket_activate(self):
        # systemd's own implementation of the protocol: it binds, waits for a connection,
        # then execs the gateway in its place. The first request waits in the backlog.
        port = free_port()
        proj = self.project(port)
        gw = self.spawn([shutil.which("systemd-socket-activate"), "-l", f"127.0.0.1:{port}",
                         POSTERN, "--log-level", "debug", "run", proj], "gateway.log")
        self.assertTrue(eventually(lambda: "Listening on" in gw.log() or gw.poll() is not None), gw.log())
        self.assertFalse(self.ready(), "the gateway runs before any connection")
        response = get(port)
        self.assertTrue(response.startswith(b"HTTP/1.1 200"), f"{response[:300]!r}\n{gw.log()[-3000:]}")
        self.assertIn(f"127.0.0.1:{port} (inherited socket)", gw.log())
        self.assertEqual(gw.stop(), 0, gw.log()[-3000:])

    def test_listen_pid_of_another_process_means_the_fds_are_not_ours(self):
        # The gateway binds its listener itself (the inherited socket is on another port
        # and is left alone), as sd_listen_fds() does when LISTEN_PID is not the caller.
        stray = listening_socket()
        port = free_port()
        gw = self.spawn([POSTERN, "--log-level", "debug", "run", self.project(port)], "gateway.log", inherit=stray,
                        listen_pid_offset=1)
        self.assertTrue(eventually(lambda: self.ready() or gw.poll() is not None) and gw.poll() is None, gw.log())
        self.assertTrue(get(port).startswith(b"HTTP/1.1 200"))
        self.assertNotIn("inherited socket", gw.log())
        self.assertEqual(gw.stop(), 0, gw.log()[-3000:])
        stray.close()


if __name__ == "__main__":
    unittest.main()
