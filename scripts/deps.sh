#!/usr/bin/env bash
# Installs the Debian packages fedcheck needs to build and test, when they are missing.
#   libxmlsec1-dev, libxml2-dev, libssl-dev, pkg-config: libxmlsec1 (samael's `xmlsec` feature) and openssl
#   libclang-dev: bindgen, which samael uses to generate its libxmlsec1 bindings at build time
#   xmlsec1: the xmlsec1 CLI, used only by testdata/generate.sh (kept so the generator can be rerun)
#   chromium: headless browser that renders a bundle's report.html to PNG and PDF in tests/bundle.rs (required
#             when CI is set; the test is skipped with a note without it). It is large (~100 MB with its libraries).
set -euo pipefail
packages=(libclang-dev libxmlsec1-dev libxml2-dev libssl-dev pkg-config xmlsec1 chromium)
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
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
