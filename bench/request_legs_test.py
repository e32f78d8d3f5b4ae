#!/usr/bin/env python3
"""The leg parser of request_legs.py on a hand-written trace: a plain
exchange (client fd 13, vendor fd 14), then a stream whose later chunks are
forwarded (and start no leg)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from request_legs import legs  # noqa: E402


def call(t_us: float, nr: int, fd: int, result: int) -> str:
    t = 1000 + t_us / 1e6
    return (f" 7 {t:.6f}: raw_syscalls:sys_enter: NR {nr} ({fd:x}, 0, 200, 0, 0, 0)\n"
            f" 7 {t + 1e-6:.6f}: raw_syscalls:sys_exit: NR {nr} = {result}\n")


RECV, SENDMSG = 45, 46
trace = (
    call(0, SENDMSG, 13, 100)        # the previous response to the client
    + call(10, RECV, 13, 253)        # request read: the request leg starts
    + call(20, RECV, 13, -11)        # EAGAIN does not end it
    + call(40, SENDMSG, 14, 348)     # vendor request: 29 us after the read returned
    + call(100, RECV, 14, 355)       # answer read: the answer leg starts
    + call(107, SENDMSG, 13, 420)    # to the client: 6 us
    + call(200, RECV, 13, 253)       # next request (a stream)
    + call(250, SENDMSG, 14, 348)    # 49 us
    + call(300, RECV, 14, 512)       # head and first event
    + call(390, SENDMSG, 13, 421)    # 89 us
    + call(2390, RECV, 14, 202)      # a later chunk: forwarded, no leg
    + call(2400, SENDMSG, 13, 203)
)
request, answer = legs(trace)
# Each leg runs from the read's return (1 us after its entry here) to the write's entry.
assert [round(x) for x in request] == [29, 49], request
assert [round(x) for x in answer] == [6, 89], answer
print("ok")
