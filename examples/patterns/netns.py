"""Network namespaces from Python (3.11 has no os.setns): used by the patterns' relay and
load tools and by their tests.

A network namespace belongs to a thread, and a socket to the namespace it was created in,
so a process can hold sockets in several namespaces at once: `socket_in("dc2")` makes one
there and switches the calling thread back. `entered("dc1")` runs a block (and every thread
it starts) inside a namespace. Namespaces are the ones `ip netns add` made (/run/netns).
"""
import contextlib
import ctypes
import os
import socket

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def entered(name):
    """The calling thread is in namespace `name` inside the block (threads started there
    stay in it); it returns to where it was afterwards."""
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        there = os.open(f"/run/netns/{name}", os.O_RDONLY)
        try:
            _setns(there)
        finally:
            os.close(there)
        try:
            yield
        finally:
            _setns(here)
    finally:
        os.close(here)


def socket_in(name, family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A socket created in namespace `name` (None: the current one)."""
    if name is None:
        return socket.socket(family, kind)
    with entered(name):
        return socket.socket(family, kind)
