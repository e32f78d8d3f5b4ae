#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
npm ci --prefix tests/spec --no-audit --no-fund
npm ci --prefix tests/openai-client --no-audit --no-fund
npm ci --prefix tests/anthropic-client --no-audit --no-fund
npm ci --prefix tests/responses-client --no-audit --no-fund
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --timeout 600 -j "${JOBS:-$(nproc)}"
