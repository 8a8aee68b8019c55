#!/usr/bin/env bash
# The README's first command: build fedcheck and check the bundled sample capture (a HAR with a WS-Fed and a
# SAML 2.0 sign-in) against the bundled IdP metadata, as of the time the sample tokens were issued.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo run --release --locked --quiet -- check testdata/encoded/capture.har \
  --metadata testdata/metadata/wsfed-federationmetadata.xml \
  --at 2026-01-15T10:05:00Z "$@"
