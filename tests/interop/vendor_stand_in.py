#!/usr/bin/env python3
"""A vendor API stand-in on Python's http.server, for the interop test.

It knows no vendor: it answers a POST to PATH with a canned file from
--canned DIR, DIR/PATH.sse (text/event-stream, written one SSE event per
write) when the request asks for a stream (a JSON body with "stream": true,
or "alt=sse" in the query as Gemini asks), else DIR/PATH (application/json).
Anything else is a 404.

Every body is close-delimited, as http.server and many proxies send them:
neither Content-Length nor chunked encoding, the server closing the
connection ends the body (RFC 9112 section 6.3).
  --protocol HTTP/1.0  an HTTP/1.0 response, no Connection header
  --protocol HTTP/1.1  an HTTP/1.1 response with "Connection: close"

Prints "event=listening addr=HOST:PORT" once it accepts connections
(--listen HOST:0 picks a free port), and one line per request.
"""
import argparse
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# An SSE event ends at the first blank line (LF or CRLF line ends).
SSE_EVENT = re.compile(rb".*?(?:\r\n\r\n|\n\n)|.+\Z", re.S)


def canned_file(root, target, body):
    """The file answering this request, or None."""
    url = urlsplit(target)
    parts = [p for p in url.path.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        return None
    try:
        stream = json.loads(body or b"{}").get("stream") is True
    except (ValueError, AttributeError):
        stream = False
    stream = stream or "alt=sse" in url.query.split("&")
    name = Path(root, *parts)
    file = name.with_name(name.name + ".sse") if stream else name
    return file if file.is_file() else None


def make_handler(root, protocol):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = protocol

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            file = canned_file(root, self.path, body)
            # The body ends when the connection does, whatever the client asked.
            self.close_connection = True
            sse = file is not None and file.suffix == ".sse"
            self.send_response(200 if file else 404)
            self.send_header("Content-Type", "text/event-stream" if sse else "application/json")
            if sse:
                self.send_header("Cache-Control", "no-cache")
            if protocol == "HTTP/1.1":
                self.send_header("Connection", "close")
            self.end_headers()
            if file is None:
                self.wfile.write(b'{"error":{"message":"stand-in: no canned answer"}}')
                return
            data = file.read_bytes()
            for piece in SSE_EVENT.findall(data) if sse else [data]:
                self.wfile.write(piece)
                self.wfile.flush()

        def log_message(self, fmt, *args):
            print("event=request " + (fmt % args), file=sys.stderr, flush=True)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--canned", required=True)
    ap.add_argument("--protocol", choices=["HTTP/1.0", "HTTP/1.1"], default="HTTP/1.0")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), make_handler(args.canned, args.protocol))
    server.daemon_threads = True
    print(f"event=listening addr={host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
