#!/bin/sh
# Generates testdata/adfs/utf16.txt: adfs/aadconnect-default.txt as Windows PowerShell's Out-File writes it
# (UTF-16LE with a byte order mark, CRLF line ends). The other files in adfs/ are written by hand.
set -eu
cd "$(dirname "$0")/.."
python3 - <<'PY'
src = open("adfs/aadconnect-default.txt", encoding="utf-8").read()
data = b"\xff\xfe" + src.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-16-le")
open("adfs/utf16.txt", "wb").write(data)
PY
echo "wrote adfs/utf16.txt"
