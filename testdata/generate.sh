#!/usr/bin/env bash
# Regenerates every fedcheck test fixture under testdata/ (see README.md).
# NOT run by CI: the outputs are committed, tests need none of the producers.
#
#   testdata/generate.sh              # keep the committed test keys, rebuild all fixtures
#   testdata/generate.sh --new-keys   # also create fresh throwaway keys (changes every signature)
#
# Needs: bash, openssl, xmlsec1 (Debian package `xmlsec1`), python3 (+venv, pip), node + npm.
# Producers are installed into throwaway places outside the repo:
#   python signxml + lxml  -> venv  ${FEDCHECK_GEN_VENV:-/tmp/fedcheck-gen-venv}
#   npm saml@4 (xml-crypto) -> dir  ${FEDCHECK_GEN_NPM:-/tmp/fedcheck-gen-npm}
#   npm wsfed@6 (auth0)     -> dir  ${FEDCHECK_GEN_WSFED:-/tmp/fedcheck-gen-wsfed}
set -euo pipefail

TD=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV=${FEDCHECK_GEN_VENV:-/tmp/fedcheck-gen-venv}
NPMDIR=${FEDCHECK_GEN_NPM:-/tmp/fedcheck-gen-npm}
SIGNXML_VERSION=5.2.0
NPM_SAML_VERSION=4.0.0
WSFEDDIR=${FEDCHECK_GEN_WSFED:-/tmp/fedcheck-gen-wsfed}
NPM_WSFED_VERSION=6.0.0

for tool in openssl xmlsec1 python3 node npm; do
  command -v "$tool" >/dev/null || { echo "generate.sh: missing $tool" >&2; exit 1; }
done

# ---- producers (throwaway, outside the repo)
if ! "$VENV/bin/python" -c "import signxml, lxml" 2>/dev/null; then
  echo "generate.sh: installing signxml==$SIGNXML_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "signxml==$SIGNXML_VERSION"
fi
if [[ ! -f "$NPMDIR/node_modules/saml/package.json" ]] || \
   ! grep -q "\"version\": \"$NPM_SAML_VERSION\"" "$NPMDIR/node_modules/saml/package.json"; then
  echo "generate.sh: installing saml@$NPM_SAML_VERSION into $NPMDIR"
  mkdir -p "$NPMDIR"
  (cd "$NPMDIR" && { [[ -f package.json ]] || npm init -y >/dev/null; } && npm install --no-audit --no-fund -q "saml@$NPM_SAML_VERSION" >/dev/null)
fi
if [[ ! -f "$WSFEDDIR/node_modules/wsfed/package.json" ]] || \
   ! grep -q "\"version\": \"$NPM_WSFED_VERSION\"" "$WSFEDDIR/node_modules/wsfed/package.json"; then
  echo "generate.sh: installing wsfed@$NPM_WSFED_VERSION into $WSFEDDIR"
  mkdir -p "$WSFEDDIR"
  (cd "$WSFEDDIR" && { [[ -f package.json ]] || npm init -y >/dev/null; } && npm install --no-audit --no-fund -q "wsfed@$NPM_WSFED_VERSION" >/dev/null)
fi

# ---- keys (kept unless --new-keys)
if [[ "${1:-}" == "--new-keys" ]]; then
  "$TD/gen/keys.sh" "$TD/keys" --force
else
  "$TD/gen/keys.sh" "$TD/keys"
fi

# ---- wipe generated outputs, rebuild
rm -rf "$TD/shapes" "$TD/products" "$TD/saml2" "$TD/wsfed" "$TD/encoded" "$TD/metadata" "$TD/c14n" "$TD/manifest.json" "$TD/verify-table.txt"
PYTHONDONTWRITEBYTECODE=1 SIGNXML_PY="$VENV/bin/python" NPM_SAML_NODE_PATH="$NPMDIR/node_modules" python3 "$TD/gen/build.py" "$TD"
PYTHONDONTWRITEBYTECODE=1 SIGNXML_PY="$VENV/bin/python" python3 "$TD/gen/shapes.py" "$TD"
PYTHONDONTWRITEBYTECODE=1 WSFED_NODE_PATH="$WSFEDDIR/node_modules" python3 "$TD/gen/products.py" "$TD"
PYTHONDONTWRITEBYTECODE=1 python3 "$TD/gen/redaction.py" "$TD"
PYTHONDONTWRITEBYTECODE=1 python3 "$TD/gen/adversarial.py" "$TD"
PYTHONDONTWRITEBYTECODE=1 python3 "$TD/gen/entra.py" "$TD"
PYTHONDONTWRITEBYTECODE=1 python3 "$TD/gen/capture.py" "$TD"
PYTHONDONTWRITEBYTECODE=1 python3 "$TD/gen/subject.py" "$TD"
PYTHONDONTWRITEBYTECODE=1 python3 "$TD/gen/jwt.py" "$TD"
bash "$TD/gen/adfs.sh" "$TD"
