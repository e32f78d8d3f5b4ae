#!/usr/bin/env python3
"""How long the daemon holds a request before passing it on, hot and cold.

Traces the system calls of the daemon (one I/O thread) and of sb-relay with
`perf record -e raw_syscalls:*` and measures two legs per exchange:

  request leg: the client's request read  -> the vendor request written
  answer leg:  the vendor's answer read   -> the first bytes to the client

under two cadences:

  back-to-back: plain requests over 1 connection, one after the other, as in
                the bench's latency rows (the path stays in the CPU's caches);
  stream:       the bench's streaming run (16 chunks 2 ms apart over 1
                connection), where a new request arrives every ~30 ms and
                only the per-chunk path ran in between.

The difference between the two is the cost of a cold path: same code, same
system calls, more cache misses. Needs perf and the right to trace (root or
perf_event_paranoid <= -1). Usage: bench/request_legs.py [--build-dir DIR]
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (DIALECTS, STREAM_MOCK_ARGS, BenchError, ProcessRegistry,  # noqa: E402
                 Tools, point_openai_at, start_daemon, start_mock, start_relay)

READS = {0, 19, 45, 47}      # read, readv, recvfrom, recvmsg
WRITES = {1, 20, 44, 46}     # write, writev, sendto, sendmsg
LINE = re.compile(r"\s*(\d+)\s+([\d.]+):\s+raw_syscalls:(sys_enter|sys_exit):\s+NR (\d+) (.*)")


def legs(script: str) -> tuple[list[float], list[float]]:
    """Request and answer legs, in microseconds, from `perf script` output
    (tid, time, event, trace). A leg starts when a read returns data on the
    socket the thread last wrote to (a new exchange begins there) and ends at
    the next write to another socket. Bytes forwarded chunk by chunk (vendor
    read, client write, vendor read...) start no leg."""
    request, answer = [], []
    per_thread: dict[str, dict] = {}
    for line in script.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        tid, t, kind, nr, rest = m.group(1), float(m.group(2)), m.group(3), int(m.group(4)), m.group(5)
        s = per_thread.setdefault(tid, {"fd": None, "last_write": None, "open": None, "nr": None,
                                        "legs": 0})
        if kind == "sys_enter":
            s["nr"], s["fd"] = nr, int(rest.strip("( ").split(",")[0], 16)
            if nr in WRITES and s["open"] and s["fd"] != s["open"][1]:
                (request if s["open"][2] == 0 else answer).append((t - s["open"][0]) * 1e6)
                s["open"] = None
            if nr in WRITES:
                s["last_write"] = s["fd"]
        elif s["nr"] in READS and s["open"] is None:
            n = int(rest.split("=")[-1])
            if n > 0 and s["fd"] == s["last_write"]:
                s["open"] = (t, s["fd"], s["legs"] % 2)
                s["legs"] += 1
    return request, answer


def summary(values: list[float]) -> str:
    if not values:
        return "none"
    v = sorted(values)
    return f"p50 {v[len(v) // 2]:6.0f}  p90 {v[int(len(v) * 0.9)]:6.0f}  (n={len(v)})"


def traced(pid: int, out: Path, work) -> str:
    perf = subprocess.Popen(["perf", "record", "-q", "-e", "raw_syscalls:sys_enter,raw_syscalls:sys_exit",
                             "-p", str(pid), "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    try:
        work()
    finally:
        perf.send_signal(2)
        _, err = perf.communicate(timeout=30)
    if perf.returncode not in (0, -2):
        raise BenchError(f"perf record failed: {err.decode(errors='replace')[-300:]}")
    return subprocess.run(["perf", "script", "-i", str(out), "-F", "tid,time,event,trace"],
                          capture_output=True, text=True, check=True).stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default=str(Path(__file__).resolve().parent.parent / "build"))
    ap.add_argument("--requests", type=int, default=60, help="exchanges measured per cadence")
    args = ap.parse_args()
    if not shutil.which("perf"):
        print("request_legs: perf is not installed", file=sys.stderr)
        return 1
    tools = Tools.locate(Path(args.build_dir))
    work = Path(tempfile.mkdtemp(prefix="sb-legs-"))
    reg = ProcessRegistry(work)
    try:
        _, plain_port = start_mock(reg, tools, "mock", [])
        _, stream_port = start_mock(reg, tools, "mock-stream", STREAM_MOCK_ARGS)
        daemon, base = start_daemon(reg, tools, work / "state", plain_port, 1)
        relay, relay_port = start_relay(reg, tools, "relay", stream_port)
        model = DIALECTS["openai"]["model"]
        plain = f'{{"model":"{model}","messages":[{{"role":"user","content":"hi"}}]}}'
        stream = plain[:-1] + ',"stream":true}'
        direct_stream = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}'

        def load(url: str, body: str, n: int, *extra: str) -> None:
            subprocess.run([str(tools.loadgen), "--url", url, "--body", body, "--requests", str(n),
                            "--warmup-s", "0", "--duration-s", "120", *extra],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

        url = base + "/v1/chat/completions"
        load(url, plain, 500)
        hot = traced(daemon.pid, work / "hot.data", lambda: load(url, plain, args.requests * 10))
        point_openai_at(daemon, base, stream_port)
        load(url, stream, 10, "--stream")
        cold = traced(daemon.pid, work / "cold.data", lambda: load(url, stream, args.requests, "--stream"))
        relay_url = f"http://127.0.0.1:{relay_port}/v1/chat/completions"
        load(relay_url, direct_stream, 10, "--stream")
        relayed = traced(relay.pid, work / "relay.data",
                         lambda: load(relay_url, direct_stream, args.requests, "--stream"))
        print("microseconds the process holds an exchange before passing it on")
        for name, script in (("daemon, back-to-back plain", hot), ("daemon, stream cadence", cold),
                             ("sb-relay, stream cadence", relayed)):
            req, ans = legs(script)
            print(f"{name:28}  request leg {summary(req)}")
            print(f"{'':28}  answer leg  {summary(ans)}")
    finally:
        reg.stop_all()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
