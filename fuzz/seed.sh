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
for t in input_decode xml_c14n verify; do
    echo "fuzz/corpus/$t: $(ls "$here/corpus/$t" | wc -l) files"
done
