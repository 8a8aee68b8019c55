#!/usr/bin/env bash
# Installs the system packages fedcheck needs to build and test, when they are missing.
#   libxmlsec1-dev, libxml2-dev, libssl-dev, pkg-config: libxmlsec1 (the `xmlsec` feature: the second engine) and
#             openssl
#   libclang-dev: bindgen, which generates the libxmlsec1 bindings at build time (build.rs, and samael's)
#   xmlsec1: the xmlsec1 CLI, used by the tests' differential check and by testdata/generate.sh
#   parallel: GNU parallel, to run the README's `parallel --pipe` recipe in tests/scale.rs
#   chromium: headless browser that renders a bundle's report.html to PNG and PDF in tests/bundle.rs (required
#             when CI is set; the test is skipped with a note without it). It is large (~100 MB with its libraries).
#
# Debian and Ubuntu (apt) are installed automatically. Elsewhere the script says what to install and exits 1; see
# the README's Install section (macOS with Homebrew, Fedora, Windows, or the Dockerfile).
# FEDCHECK_DEPS_TIMEOUT: how long to wait for another apt/dpkg holding its lock (seconds, default 600); fresh cloud
# machines often run unattended-upgrades at boot.
set -euo pipefail
packages=(libclang-dev libxmlsec1-dev libxml2-dev libssl-dev pkg-config xmlsec1 parallel chromium)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
fedcheck: this is not a Debian/Ubuntu system, so scripts/deps.sh cannot install packages itself. Install:
  macOS (Homebrew):  brew install libxmlsec1 libxml2 openssl@3 pkg-config llvm
  Fedora / RHEL:     sudo dnf install xmlsec1-devel xmlsec1-openssl-devel libxml2-devel openssl-devel clang-devel pkgconf xmlsec1 chromium
  Windows:           see the README (build with --no-default-features, OpenSSL from vcpkg), or use the Dockerfile
MSG
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "fedcheck: installing missing system packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
timeout=${FEDCHECK_DEPS_TIMEOUT:-600}
# apt waits for the dpkg lock instead of failing at once when another apt (unattended-upgrades) holds it.
lock=(-o "DPkg::Lock::Timeout=$timeout")
if fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1 || fuser /var/lib/apt/lists/lock >/dev/null 2>&1; then
  echo "fedcheck: another apt/dpkg is running; waiting up to ${timeout}s for its lock (FEDCHECK_DEPS_TIMEOUT)" >&2
fi
$sudo apt-get "${lock[@]}" update
$sudo apt-get "${lock[@]}" install -y --no-install-recommends "${missing[@]}"
