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
# Decoding: the encoded captures, two raw tokens, and the shapes of the newer decoders (HTML auto-post pages, DEFLATE,
# UTF-16, Latin-1).
seed input_decode "$testdata"/encoded/* "$testdata"/saml2/mfa-sha256.xml "$testdata"/wsfed/mfa-authmethod-sha256.xml \
    "$testdata"/shapes/autopost-*.html "$testdata"/shapes/*.b64 "$testdata"/shapes/utf16*.xml "$testdata"/shapes/latin1.xml
# Parsing and c14n: tokens, metadata and the canonical references (already canonical: fixed points).
seed xml_c14n "$testdata"/saml2/*.xml "$testdata"/wsfed/*.xml "$testdata"/metadata/*.xml "$testdata"/c14n/*.bin
# The decoders target: the first byte picks the decoder (fuzz/src/props.rs, check_decoders: 0 HTML page, 1 lines,
# 2 DEFLATE of the rest, 3 the rest as DEFLATE, 4 UTF-16 of the rest, 5 the rest as it is; modulo 6), the rest is a
# fixture.
mkdir -p "$here/corpus/decoders"
mode() { # octal-byte name file...
    byte=$1; name=$2; shift 2
    { printf "\\$byte"; cat "$@"; } > "$here/corpus/decoders/$name"
}
mode 000 html-samlresponse "$testdata"/encoded/mfa-sha256.b64
mode 006 html-wresult "$testdata"/wsfed/mfa-authmethod-sha256.xml
mode 001 lines "$testdata"/encoded/mfa-sha256.b64 "$testdata"/encoded/saml2-form.txt "$testdata"/encoded/wsfed-mfa.b64
mode 067 lines-cap-10 "$testdata"/encoded/saml2-form.txt "$testdata"/encoded/not-base64.txt
mode 002 deflate-saml2 "$testdata"/saml2/mfa-sha256.xml
mode 010 deflate-wsfed "$testdata"/wsfed/mfa-authmethod-sha256.xml
if base64 -d < "$testdata"/shapes/deflate.b64 > /dev/null 2>&1; then
    { printf '\003'; base64 -d < "$testdata"/shapes/deflate.b64; } > "$here/corpus/decoders/raw-deflate"
fi
mode 004 utf16-saml2 "$testdata"/saml2/mfa-sha256.xml
for f in utf16le-bom.xml utf16be-bom.xml autopost-saml.html autopost-wsfed.html latin1.xml; do
    mode 005 "as-is-$f" "$testdata/shapes/$f"
done
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
for t in input_decode xml_c14n verify verify_bundle decoders; do
    echo "fuzz/corpus/$t: $(ls "$here/corpus/$t" 2>/dev/null | wc -l) files"
done
