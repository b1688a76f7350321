#!/usr/bin/env bash
# Installs what kubegate's demo and tests need on a fresh Debian 12 machine, and nothing that is
# already there: Debian packages through apt-get, Node packages through npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the C++ toolchain and libraries the gateway builds with, and the tools the
# simulator and the client tests call. Extra groups (e.g. `bench`) come as arguments.
packages=(build-essential cmake pkg-config
          libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev libssl-dev libcli11-dev libyaml-cpp-dev
          libspdlog-dev libfmt-dev libsqlite3-dev zlib1g-dev libzstd-dev libhyperscan-dev libgtest-dev libbenchmark-dev
          openssl ca-certificates util-linux python3 python3-kubernetes python3-websocket
          awscli python3-botocore faketime zstd)
for group in "$@"; do
  case "$group" in
    bench) packages+=(nginx-light wrk jq) ;;
    *) echo "install-deps: unknown group $group" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node packages, pinned by package-lock.json; skipped when the lock has not changed since.
install_npm() {
  local dir=$1 stamp=$1/node_modules/.installed-lock
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    mkdir -p "$dir/node_modules"  # a package without dependencies gets none from npm ci
    cp "$dir/package-lock.json" "$stamp"
  fi
}
install_npm testing/kube-sim
# kubernetes-mcp-server ships its binary as per-platform optional packages, which npm 11 leaves
# out of a lock file made on one platform (npm ci then refuses the lock), so it is pinned here.
mcp=testing/kube-sim/node_modules/.bin/kubernetes-mcp-server
if [ ! -x "$mcp" ]; then
  echo "install-deps: npm install kubernetes-mcp-server@0.0.67"
  (cd testing/kube-sim && npm install --no-save --no-audit --no-fund --loglevel=error kubernetes-mcp-server@0.0.67)
fi
install_npm testing/idp
install_npm testing/aws-sim
