#!/usr/bin/env python3
"""Runs Debian's nginx as a reverse proxy for the interop test.

nginx gets its own config, pid file, logs and temp paths in --dir, listens on
127.0.0.1 on a free port, and proxies each --route PREFIX=URL with
proxy_buffering off. --proxy-http-version 1.0 leaves nginx's default (an
HTTP/1.0 request upstream, no keep-alive); 1.1 sets proxy_http_version 1.1.

nginx runs in the foreground as this script's child (daemon off, a single
process) and dies with it; SIGTERM stops it. Prints
"event=listening addr=127.0.0.1:PORT" once nginx accepts connections. Fails,
never skips, when nginx is missing: scripts/install-deps.sh installs it.
"""
import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

CONFIG = """\
daemon off;
master_process off;
worker_processes 1;
pid "{dir}/nginx.pid";
error_log "{dir}/error.log" info;
events {{ worker_connections 256; }}
http {{
    access_log "{dir}/access.log";
    client_body_temp_path "{dir}/client_body";
    proxy_temp_path "{dir}/proxy";
    fastcgi_temp_path "{dir}/fastcgi";
    uwsgi_temp_path "{dir}/uwsgi";
    scgi_temp_path "{dir}/scgi";
    server {{
        listen 127.0.0.1:{port};
{locations}
    }}
}}
"""


def find_nginx():
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    found = shutil.which("nginx", path=path)
    if not found:
        sys.exit("nginx_front: nginx is not installed (looked in PATH, /usr/sbin, /sbin); "
                 "run scripts/install-deps.sh")
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def die_with_parent():
    # PR_SET_PDEATHSIG: nginx must not outlive this script, even killed.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def start(nginx, dir, routes, http_version):
    """Starts nginx on a free port; returns (process, port)."""
    locations = []
    for prefix, url in routes:
        lines = [f"proxy_pass {url};", "proxy_buffering off;"]
        if http_version == "1.1":
            lines.append("proxy_http_version 1.1;")
        locations.append(f"        location {prefix} {{ " + " ".join(lines) + " }")
    for attempt in range(5):
        port = free_port()
        conf = os.path.join(dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(CONFIG.format(dir=dir, port=port, locations="\n".join(locations)))
        proc = subprocess.Popen([nginx, "-p", dir, "-c", conf, "-e", os.path.join(dir, "error.log")],
                                stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if accepts(port):
                return proc, port
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log = open(os.path.join(dir, "error.log")).read() if os.path.exists(os.path.join(dir, "error.log")) else ""
        if "Address already in use" not in log:
            sys.exit(f"nginx_front: nginx did not start (exit {proc.returncode}); error.log:\n{log}")
    sys.exit("nginx_front: no free port after 5 attempts")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:0", help="only 127.0.0.1:0 (a free port) is supported")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--proxy-http-version", choices=["1.0", "1.1"], default="1.0")
    ap.add_argument("--route", action="append", default=[], metavar="PREFIX=URL")
    args = ap.parse_args()
    if args.listen != "127.0.0.1:0":
        sys.exit("nginx_front: --listen must be 127.0.0.1:0")
    routes = [r.split("=", 1) for r in args.route]
    os.makedirs(args.dir, exist_ok=True)
    proc, port = start(find_nginx(), os.path.abspath(args.dir), routes, args.proxy_http_version)
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: (stopped.append(True), proc.terminate()))
    print(f"event=listening addr=127.0.0.1:{port}", flush=True)
    code = proc.wait()
    sys.exit(0 if stopped else code)


if __name__ == "__main__":
    main()
