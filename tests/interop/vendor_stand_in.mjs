#!/usr/bin/env node
// A vendor API stand-in on Node's http module, for the interop test. The
// same contract as vendor_stand_in.py (canned files under --canned DIR, a
// stream when the JSON body says "stream": true or the query has alt=sse),
// with Node's own framing: a stream is chunked (one SSE event per write),
// a plain answer carries Content-Length, and connections are kept alive.
// Prints "event=listening addr=HOST:PORT" once it accepts connections.
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { listen: { type: 'string', default: '127.0.0.1:0' }, canned: { type: 'string' } },
});
if (!args.canned) {
  console.error('usage: vendor_stand_in.mjs --canned DIR [--listen HOST:PORT]');
  process.exit(2);
}

// An SSE event ends at the first blank line (LF or CRLF line ends).
const sseEvent = /[\s\S]*?(?:\r\n\r\n|\n\n)|[\s\S]+$/g;

function cannedFile(target, body) {
  const url = new URL(target, 'http://stand-in');
  const parts = url.pathname.split('/').filter((p) => p);
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..')) return null;
  let stream = false;
  try {
    stream = JSON.parse(body || '{}').stream === true;
  } catch {}
  stream ||= url.searchParams.get('alt') === 'sse';
  const file = join(args.canned, ...parts) + (stream ? '.sse' : '');
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

const server = createServer((req, res) => {
  const body = [];
  req.on('data', (d) => body.push(d));
  req.on('end', () => {
    console.error(`event=request ${req.method} ${req.url}`);
    const file = req.method === 'POST' ? cannedFile(req.url, Buffer.concat(body).toString()) : null;
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"error":{"message":"stand-in: no canned answer"}}');
      return;
    }
    const data = readFileSync(file);
    if (!file.endsWith('.sse')) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': data.length });
      res.end(data);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    for (const piece of data.toString('latin1').match(sseEvent) ?? []) res.write(piece, 'latin1');
    res.end();
  });
});

const colon = args.listen.lastIndexOf(':');
const host = args.listen.slice(0, colon);
server.listen(Number(args.listen.slice(colon + 1)), host, () => {
  console.log(`event=listening addr=${host}:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
