#!/usr/bin/env bash
# Installs the Debian 12 packages the build and tests need, only if missing.
set -euo pipefail
packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev pkg-config ca-certificates openssl binutils rustc
  libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev libboost-url1.81-dev
  libssl-dev python3 libseccomp-dev
  # --store redis://: the client library, and the server the Redis tests start.
  libhiredis-dev redis-server
)
# The spec check (tests/spec) runs on Node; a Node from elsewhere (nodesource,
# nvm) is fine, so Debian's nodejs/npm only come in when there is no node.
if ! command -v node >/dev/null 2>&1; then packages+=(nodejs npm); fi
# The interop test (tests/interop) puts nginx in front of the mock vendors;
# any nginx on PATH or in /usr/sbin will do, else Debian's.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then packages+=(nginx); fi
# The admin page test (tests/browser) drives Debian's chromium headless; any
# chromium on PATH will do.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  packages+=(chromium)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
