#!/usr/bin/python3
"""The WAN between the data centres of the multi-DC example: a TCP relay that holds every
chunk DELAY ms in each direction (this kernel has no netem qdisc to delay packets).

    relay.py --delay-ms 30 --forward dc2-1234/127.0.0.1:9443=dc1-1234/127.0.0.1:9443 ...

Each --forward listens at an address inside one network namespace and connects, for every
connection it accepts, to an address inside another: the relay runs in the host's
namespace and holds sockets in both (a socket belongs to the namespace it was created in;
see ../netns.py). So DC2 reaches DC1's key manager at 127.0.0.1:9443 of its own namespace,
and only through here. Stopping the relay is a partition: connections through it end, and
new ones are refused until it runs again. Needs root (setns).
"""
import argparse
import asyncio
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import netns  # noqa: E402


def parse_end(text):
    ns, _, addr = text.partition("/")
    host, _, port = addr.rpartition(":")
    return ns, (host, int(port))


async def pump(reader, writer, delay):
    """Copies reader to writer, each chunk written `delay` seconds after it was read; a
    queue keeps the order, so the delay does not limit throughput."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read_side():
        try:
            while True:
                data = await reader.read(65536)
                await queue.put((loop.time() + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            await queue.put((loop.time() + delay, None))

    async def write_side():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:  # the reading side failed: end this side hard too
                writer.transport.abort()
                return
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    reading = asyncio.ensure_future(read_side())
    try:
        await write_side()
    except (ConnectionError, OSError):
        writer.transport.abort()
    finally:
        reading.cancel()


class Forward:
    def __init__(self, spec, delay):
        left, _, right = spec.partition("=")
        self.listen_ns, self.listen_addr = parse_end(left)
        self.target_ns, self.target_addr = parse_end(right)
        self.delay = delay
        self.spec = spec

    async def start(self):
        sock = netns.socket_in(self.listen_ns)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(self.listen_addr)
        sock.listen(128)
        sock.setblocking(False)
        return await asyncio.start_server(self.handle, sock=sock)

    async def handle(self, client_reader, client_writer):
        loop = asyncio.get_running_loop()
        out = netns.socket_in(self.target_ns)
        out.setblocking(False)
        try:
            await loop.sock_connect(out, self.target_addr)
        except OSError:
            out.close()
            client_writer.transport.abort()
            return
        target_reader, target_writer = await asyncio.open_connection(sock=out)
        await asyncio.gather(pump(client_reader, target_writer, self.delay),
                             pump(target_reader, client_writer, self.delay), return_exceptions=True)
        for w in (client_writer, target_writer):
            w.close()


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--delay-ms", type=float, default=30.0)
    p.add_argument("--forward", action="append", required=True, help="LISTEN_NS/HOST:PORT=TARGET_NS/HOST:PORT")
    a = p.parse_args()
    servers = []
    for spec in a.forward:
        servers.append(await Forward(spec, a.delay_ms / 1000.0).start())
        print(f"relay: {spec}, {a.delay_ms:g} ms each way", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()
    print("relay: stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
