#!/usr/bin/env bash
# The README's second command: install missing system packages, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo test --locked "$@"
