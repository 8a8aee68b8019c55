#!/bin/sh
# Seeds fuzz/corpus/<target>/ from the committed fixtures. Generated corpora are not committed (fuzz/.gitignore);
# run this once before the first `cargo fuzz run`. Idempotent: files are named after their fixture.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
testdata="$here/../testdata"
seed() { # target file...
    target=$1; shift
    mkdir -p "$here/corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$here/corpus/$target/$(basename "$(dirname "$f")")__$(basename "$f")"
    done
}
# Every token fixture (SAML 2.0 and WS-Fed, valid, tampered, wrapped, unsigned) and every encoding of them.
seed verify "$testdata"/saml2/*.xml "$testdata"/wsfed/*.xml "$testdata"/encoded/*
# Decoding: the encoded captures plus two raw tokens.
seed input_decode "$testdata"/encoded/* "$testdata"/saml2/mfa-sha256.xml "$testdata"/wsfed/mfa-authmethod-sha256.xml
# Parsing and c14n: tokens, metadata and the canonical references (already canonical: fixed points).
seed xml_c14n "$testdata"/saml2/*.xml "$testdata"/wsfed/*.xml "$testdata"/metadata/*.xml "$testdata"/c14n/*.bin
# Bundles: a genuine one as zip, tar and tar.gz, made by the built binary (skipped when it is not built yet).
bin="$here/../target/debug/fedcheck"
if [ -x "$bin" ]; then
    tmp=$(mktemp -d)
    (cd "$testdata" && "$bin" bundle saml2/mfa-sha256.xml --idp-cert keys/idp-signing.crt \
        --at 2026-01-15T10:05:00Z --redaction-key seed --out "$tmp/ev" >/dev/null)
    (cd "$tmp" && tar cf ev.tar ev && tar czf ev.tar.gz ev)
    mkdir -p "$here/corpus/verify_bundle"
    cp "$tmp/ev.zip" "$tmp/ev.tar" "$tmp/ev.tar.gz" "$here/corpus/verify_bundle/"
    rm -rf "$tmp"
fi
for t in input_decode xml_c14n verify verify_bundle; do
    echo "fuzz/corpus/$t: $(ls "$here/corpus/$t" 2>/dev/null | wc -l) files"
done
