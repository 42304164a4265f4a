#!/usr/bin/env bash
# Installs what building, running and testing Sluice needs, from Debian's packages and npm.
# Idempotent and quiet when everything is present. Run as root (CI and the dev machines are).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PKGS="cmake ninja-build ccache g++ pkg-config libboost1.74-dev librocksdb-dev rapidjson-dev
  libfmt-dev libspdlog-dev libcli11-dev libtomlplusplus-dev libgtest-dev libgmock-dev
  libbenchmark-dev libssl-dev libpcre2-dev libpq-dev libjemalloc-dev libsodium-dev"
TEST_PKGS="postgresql python3 python3-boto3 python3-pytest python3-prometheus-client python3-cbor2 awscli nodejs npm curl
  openssl clang-14 libclang-rt-14-dev llvm-14 chromium"  # clang/compiler-rt: fuzz/ (libFuzzer);
# llvm: symbolizer; chromium: the console's browser tests (tests/e2e/console, playwright-core);
# postgresql: the private cluster of tools/pg-fixture.sh
want="$BUILD_PKGS"
[[ "${1:-}" == "--test" ]] && want="$want $TEST_PKGS"

missing=()
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node may come from outside Debian's packages (e.g. /usr/bin/node already present).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -ra missing <<<"${missing[*]}"
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  for d in tests/e2e/js tests/e2e/console; do
    [[ -f $d/package-lock.json ]] || continue
    if [[ ! -d $d/node_modules ]] || [[ $d/package-lock.json -nt $d/node_modules ]]; then
      (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
fi
