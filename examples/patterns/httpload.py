#!/usr/bin/python3
"""A small HTTP/1.1 load client for the pattern examples and their tests (no dependencies).

Every request carries its own X-Request-ID (the gateway keeps a valid one, and it becomes
the analytics event's request_id), so what the clients got can be compared with what the
collector stored, id by id.

Two kinds of client threads:
  keep-alive  one connection, reused; a response with `Connection: close` makes it open a
              new one. When a *reused* connection closes before a single byte of the
              response arrived (the server closed it while idle, e.g. at the start of a
              drain), the request is sent again once on a new connection, as RFC 9112
              §9.3.1 allows for idempotent requests and as browsers, curl and Go do. It is
              counted as `retried`, with the same X-Request-ID: had the first attempt been
              served, the collector would hold the id twice.
  fresh       a new connection for every request (`Connection: close`).
Anything else is a failure: a refused or reset connect, a reset or EOF on a new
connection, a truncated response, a timeout, or a status other than the expected ones.

  python3 httpload.py --target 127.0.0.1:8080 --path '/shop/items?delay_ms=20' \
      --duration 5 --keepalive 4 --fresh 4 [--header 'Authorization: Bearer …'] [--ids FILE]
prints a JSON summary (and writes the served ids to FILE).
"""
import argparse
import itertools
import json
import os
import socket
import sys
import threading
import time


class ClosedBeforeResponse(Exception):
    """The connection ended (EOF or reset) before any byte of the response."""


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body)


def connect(host, port, timeout=10.0, sock_factory=None):
    s = sock_factory() if sock_factory else socket.socket()
    s.settimeout(timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    return s


def _read_response(sock, method):
    try:
        return _read_response_inner(sock, method)
    except ClosedBeforeResponse:
        raise
    except (ConnectionResetError, BrokenPipeError) as e:
        raise ConnectionError(f"{type(e).__name__} inside the response") from e


def _read_response_inner(sock, method):
    buf = b""
    while b"\r\n\r\n" not in buf:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            if not buf:
                raise ClosedBeforeResponse("reset")
            raise
        if not chunk:
            if not buf:
                raise ClosedBeforeResponse("eof")
            raise ConnectionError("the connection closed inside the response head")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return Response(status, headers, b"")
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        data = rest
        while True:
            while b"\r\n" not in data:
                more = sock.recv(65536)
                if not more:
                    raise ConnectionError("the connection closed inside a chunked body")
                data += more
            size_line, _, data = data.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(data) < size + 2:
                more = sock.recv(65536)
                if not more:
                    raise ConnectionError("the connection closed inside a chunk")
                data += more
            if size == 0:
                break
            body += data[:size]
            data = data[size + 2:]
        return Response(status, headers, body)
    if "content-length" in headers:
        n = int(headers["content-length"])
        body = rest
        while len(body) < n:
            more = sock.recv(65536)
            if not more:
                raise ConnectionError(f"the connection closed after {len(body)} of {n} body bytes")
            body += more
        return Response(status, headers, body[:n])
    body = rest
    while True:
        more = sock.recv(65536)
        if not more:
            return Response(status, headers, body)
        body += more


def send_request(sock, host, path, rid, headers=(), close=False, method="GET"):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"X-Request-ID: {rid}"]
    lines += list(headers)
    if close:
        lines.append("Connection: close")
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    except (ConnectionResetError, BrokenPipeError) as e:
        raise ClosedBeforeResponse(type(e).__name__) from e
    return _read_response(sock, method)


def fetch(host, port, path, rid, headers=(), timeout=10.0, sock_factory=None):
    """One request on a new connection; the Response (raises on a connection failure)."""
    s = connect(host, port, timeout, sock_factory)
    try:
        return send_request(s, host, path, rid, headers, close=True)
    finally:
        s.close()


class Result:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok_ids = []          # X-Request-IDs that got an expected status
        self.statuses = {}        # status -> count
        self.failures = []        # (id, what)
        self.retried = 0          # reused connection closed before a response: sent again
        self.connections = 0      # connections opened

    def summary(self):
        return {"requests": len(self.ok_ids) + len(self.failures), "ok": len(self.ok_ids),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "failures": len(self.failures), "failure_samples": self.failures[:10],
                "retried": self.retried, "connections": self.connections}


def run_load(host, port, path, duration, keepalive=4, fresh=4, headers=(), prefix=None, expect=(200,),
             max_requests=None, sock_factory=None, stop=None):
    """Runs the client threads for `duration` seconds (or until `stop` is set, or
    `max_requests` were made); returns a Result."""
    prefix = prefix or f"load-{os.getpid()}-{int(time.time() * 1000)}"
    result = Result()
    counter = itertools.count()
    deadline = time.monotonic() + duration
    stop = stop or threading.Event()

    def next_id():
        n = next(counter)
        if max_requests is not None and n >= max_requests:
            return None
        return f"{prefix}-{n}"

    def record(rid, response):
        with result.lock:
            result.statuses[response.status] = result.statuses.get(response.status, 0) + 1
            if response.status in expect:
                result.ok_ids.append(rid)
            else:
                result.failures.append((rid, f"status {response.status}: {response.body[:200]!r}"))

    def fail(rid, what):
        with result.lock:
            result.failures.append((rid, what))

    def opened():
        with result.lock:
            result.connections += 1

    def keepalive_client():
        sock = None
        reused = False
        while not stop.is_set() and time.monotonic() < deadline:
            rid = next_id()
            if rid is None:
                break
            for attempt in (1, 2):
                try:
                    if sock is None:
                        sock = connect(host, port, sock_factory=sock_factory)
                        opened()
                        reused = False
                    response = send_request(sock, host, path, rid, headers)
                    record(rid, response)
                    reused = True
                    if (response.header("connection") or "").lower() == "close":
                        sock.close()
                        sock = None
                    break
                except ClosedBeforeResponse as e:
                    was_reused = reused
                    if sock is not None:
                        sock.close()
                    sock = None
                    if was_reused and attempt == 1:
                        with result.lock:
                            result.retried += 1
                        continue
                    fail(rid, f"{type(e).__name__} {e} on a {'reused' if was_reused else 'new'} connection")
                    break
                except Exception as e:  # noqa: BLE001 - every other error is a failure
                    if sock is not None:
                        sock.close()
                    sock = None
                    fail(rid, f"{type(e).__name__}: {e}")
                    break
        if sock is not None:
            sock.close()

    def fresh_client():
        while not stop.is_set() and time.monotonic() < deadline:
            rid = next_id()
            if rid is None:
                break
            try:
                opened()
                record(rid, fetch(host, port, path, rid, headers, sock_factory=sock_factory))
            except Exception as e:  # noqa: BLE001
                fail(rid, f"{type(e).__name__}: {e} on a new connection")

    threads = [threading.Thread(target=keepalive_client, daemon=True) for _ in range(keepalive)]
    threads += [threading.Thread(target=fresh_client, daemon=True) for _ in range(fresh)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 30)
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", default="127.0.0.1:8080")
    p.add_argument("--path", default="/")
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--keepalive", type=int, default=4)
    p.add_argument("--fresh", type=int, default=4)
    p.add_argument("--max-requests", type=int)
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--prefix")
    p.add_argument("--ids", help="write the ids of the served requests here, one a line")
    a = p.parse_args()
    host, _, port = a.target.rpartition(":")
    r = run_load(host, int(port), a.path, a.duration, a.keepalive, a.fresh, a.header, a.prefix,
                 max_requests=a.max_requests)
    if a.ids:
        with open(a.ids, "w") as f:
            f.writelines(i + "\n" for i in r.ok_ids)
    print(json.dumps(r.summary()))
    return 0 if not r.failures else 1


if __name__ == "__main__":
    sys.exit(main())
