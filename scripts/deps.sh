#!/usr/bin/env bash
# Installs the Debian packages fedcheck needs to build and test, when they are missing.
#   libxmlsec1-dev, libxml2-dev, libssl-dev, pkg-config: libxmlsec1 (samael's `xmlsec` feature) and openssl
#   libclang-dev: bindgen, which samael uses to generate its libxmlsec1 bindings at build time
#   xmlsec1: the xmlsec1 CLI, used only by testdata/generate.sh (kept so the generator can be rerun)
set -euo pipefail
packages=(libclang-dev libxmlsec1-dev libxml2-dev libssl-dev pkg-config xmlsec1)
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
