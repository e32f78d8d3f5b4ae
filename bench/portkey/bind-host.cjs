// Preloaded by start.sh (node --require). Portkey's CLI (build/start-server.js)
// calls @hono/node-server's serve({fetch, port}) without a hostname, so Node
// would listen on all interfaces. This forces the listen host to
// $PORTKEY_BIND_HOST (default 127.0.0.1) when no host was given.
'use strict';
const net = require('net');
const host = process.env.PORTKEY_BIND_HOST || '127.0.0.1';
const origListen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    if (args.length === 1 || args[1] === undefined || args[1] === null || typeof args[1] === 'function') {
      const cb = typeof args[1] === 'function' ? args[1] : args[2];
      args = cb ? [Number(args[0]), host, cb] : [Number(args[0]), host];
    }
  } else if (args[0] && typeof args[0] === 'object' && !('path' in args[0]) && args[0].host === undefined) {
    args[0] = { ...args[0], host };
  }
  return origListen.apply(this, args);
};
