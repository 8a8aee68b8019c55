#!/usr/bin/env bash
# The README's first command: build fedcheck and check the bundled sample capture (a HAR with a WS-Fed and a
# SAML 2.0 sign-in) against the bundled IdP metadata, as of the time the sample tokens were issued.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ ! -x target/release/fedcheck ]; then
  echo "fedcheck: building the release binary (the first build takes a few minutes; cargo shows its progress)" >&2
fi
cargo build --release --locked --bin fedcheck
target/release/fedcheck check testdata/encoded/capture.har \
  --metadata testdata/metadata/wsfed-federationmetadata.xml \
  --at 2026-01-15T10:05:00Z "$@"
echo >&2
echo "fedcheck: the binary is target/release/fedcheck; put it on your PATH with: cargo install --locked --path ." >&2
