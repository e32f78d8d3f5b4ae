#!/usr/bin/env bash
# Installs what is missing, builds, and starts the daemon in the foreground.
# Extra arguments go to switchboard (e.g. --listen 127.0.0.1:5000).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
exec ./"${BUILD_DIR:-build}"/bin/switchboard --plugins-dir "${BUILD_DIR:-build}/plugins" "$@"
