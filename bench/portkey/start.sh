#!/usr/bin/env bash
# Start the pinned Portkey AI Gateway (@portkey-ai/gateway 1.15.2) in the
# foreground on 127.0.0.1:PORT.   Usage: bench/portkey/start.sh PORT
set -euo pipefail
PORT="${1:?usage: $0 PORT}"
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$DIR"
if [ ! -f node_modules/@portkey-ai/gateway/build/start-server.js ]; then
  # Reproducible install from package-lock.json (hono / @hono/node-server pinned
  # via "overrides"). npm 11 does not run the package's postinstall
  # (patch-package) by default; it is not needed (no patches are shipped).
  npm ci --no-audit --no-fund >&2
fi
# NODE_ENV=production + --headless: skip the /public UI and /log/stream routes
# and the interactive banner paths. Portkey makes no outbound calls at start-up
# (no telemetry); upstream calls happen only per request.
export NODE_ENV=production
export PORTKEY_BIND_HOST="${PORTKEY_BIND_HOST:-127.0.0.1}"
exec node --require "$DIR/bind-host.cjs" \
  "$DIR/node_modules/@portkey-ai/gateway/build/start-server.js" \
  --port="$PORT" --headless
