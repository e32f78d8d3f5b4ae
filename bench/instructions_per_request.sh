#!/usr/bin/env bash
# Instructions per proxied request, a deterministic figure: the daemon (one I/O
# thread) under callgrind proxies 1,000 and then 4,000 OpenAI-dialect requests from
# sb-loadgen (one connection) to sb-mock-upstream; the difference of the two totals over
# 3,000 cancels start-up and shutdown. Usage: bench/instructions_per_request.sh BUILD_DIR
# (needs valgrind and curl).
set -euo pipefail
BUILD=$1
run() {
  local n=$1 d; d=$(mktemp -d)
  "$BUILD/bench/sb-mock-upstream" --listen 127.0.0.1:0 --threads 1 --port-file "$d/mock.port" >/dev/null 2>&1 & local mock=$!
  for i in $(seq 50); do [ -s "$d/mock.port" ] && break; sleep 0.1; done
  local mp; mp=$(cat "$d/mock.port"); local port daemon ready=0
  # A port the kernel just handed out (a random one may be taken); the
  # daemon must answer and still be ours, else once more on another port.
  for attempt in 1 2 3; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    OPENAI_API_KEY=sk-bench-fake-key OPENAI_API_BASE=http://127.0.0.1:$mp/v1 valgrind --tool=callgrind --callgrind-out-file="$d/cg.out" \
      "$BUILD/bin/switchboard" --listen 127.0.0.1:$port --state-dir "$d/state" --plugins-dir "$BUILD/plugins" --log-level warn --threads 1 >"$d/log" 2>&1 & daemon=$!
    for i in $(seq 600); do
      kill -0 $daemon 2>/dev/null || break
      curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && { ready=1; break; }
      sleep 0.2
    done
    kill -0 $daemon 2>/dev/null && [ $ready = 1 ] && break
    ready=0; kill -TERM $daemon 2>/dev/null; wait $daemon || true
  done
  if [ $ready != 1 ]; then echo "the daemon did not start: $(tail -3 "$d/log")" >&2; kill $mock; rm -rf "$d"; return 1; fi
  "$BUILD/bench/sb-loadgen" --url "http://127.0.0.1:$port/v1/chat/completions" --body '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' --requests "$n" --warmup-s 0 --duration-s 600 >/dev/null 2>&1
  kill -TERM $daemon; wait $daemon || true; kill $mock; wait $mock 2>/dev/null || true
  grep -E "^(summary|totals):" "$d/cg.out" | head -1 | awk '{print $2}'
  rm -rf "$d"
}
a=$(run 1000) && b=$(run 4000) || exit 1
echo "$BUILD: $(( (b - a) / 3000 )) instructions per proxied request ($a @1000, $b @4000)"
