#!/usr/bin/env bash
# Creates the throwaway TEST keys and self-signed certificates in testdata/keys/.
# Usage: gen/keys.sh <keys-dir> [--force]
# Existing keys are kept unless --force is given (new keys change every signed fixture).
set -euo pipefail

KEYS_DIR=${1:?keys dir}
FORCE=${2:-}
mkdir -p "$KEYS_DIR"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Minimal CA config so that `openssl ca -selfsign` can set fixed start/end dates
# (openssl 3.0 `x509` has no -not_before/-not_after).
cat > "$WORK/ca.cnf" <<EOF
[ ca ]
default_ca = testca
[ testca ]
dir = $WORK
database = $WORK/index.txt
new_certs_dir = $WORK/newcerts
serial = $WORK/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ policy_any ]
commonName = supplied
organizationName = optional
[ v3_sign ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
EOF
mkdir -p "$WORK/newcerts"

# name  keyspec            serial(hex) startdate        enddate          subject
make_one() {
  local name=$1 keyspec=$2 serial=$3 start=$4 end=$5 subj=$6
  if [[ -f "$KEYS_DIR/$name.key" && "$FORCE" != "--force" ]]; then
    echo "keys: keeping existing $name.key"
  else
    case $keyspec in
      rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS_DIR/$name.key" 2>/dev/null ;;
      rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$KEYS_DIR/$name.key" 2>/dev/null ;;
      rsa512)  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out "$KEYS_DIR/$name.key" 2>/dev/null ;;
      p256)    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$KEYS_DIR/$name.key" 2>/dev/null ;;
    esac
    rm -f "$KEYS_DIR/$name.crt"
  fi
  if [[ ! -f "$KEYS_DIR/$name.crt" ]]; then
    : > "$WORK/index.txt"
    echo "$serial" > "$WORK/serial"
    openssl req -new -key "$KEYS_DIR/$name.key" -subj "$subj" -out "$WORK/$name.csr" 2>/dev/null
    openssl ca -batch -notext -config "$WORK/ca.cnf" -selfsign -keyfile "$KEYS_DIR/$name.key" \
      -in "$WORK/$name.csr" -out "$WORK/$name.pem" -extensions v3_sign \
      -startdate "$start" -enddate "$end" 2>/dev/null
    openssl x509 -in "$WORK/$name.pem" -out "$KEYS_DIR/$name.crt"
  fi
  openssl x509 -in "$KEYS_DIR/$name.crt" -outform DER -out "$KEYS_DIR/$name.der"
  base64 -w0 "$KEYS_DIR/$name.der" > "$KEYS_DIR/$name.b64"
}

make_one idp-signing  rsa2048 1001 20250101000000Z 20350101000000Z "/CN=sts.contoso.test"
make_one idp-next     rsa2048 1002 20250601000000Z 20350601000000Z "/CN=sts.contoso.test"
make_one idp-ec       p256    1003 20250101000000Z 20350101000000Z "/CN=sts.contoso.test"
make_one attacker     rsa2048 6666 20250101000000Z 20350101000000Z "/CN=sts.contoso.test"
make_one idp-expired  rsa2048 1004 20230101000000Z 20240101000000Z "/CN=sts.contoso.test"
make_one idp-weak1024 rsa1024 1005 20250101000000Z 20350101000000Z "/CN=sts.contoso.test"
make_one idp-weak512  rsa512  1006 20250101000000Z 20350101000000Z "/CN=sts.contoso.test"
make_one sp-encryption rsa2048 2001 20250101000000Z 20350101000000Z "/CN=sp.contoso.test"

# Fingerprints (handy for tests that match certificates by thumbprint).
: > "$KEYS_DIR/fingerprints.txt"
for c in idp-signing idp-next idp-ec attacker idp-expired idp-weak1024 idp-weak512 sp-encryption; do
  printf '%s sha1=%s sha256=%s\n' "$c" \
    "$(openssl x509 -in "$KEYS_DIR/$c.crt" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)" \
    "$(openssl x509 -in "$KEYS_DIR/$c.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :)" >> "$KEYS_DIR/fingerprints.txt"
done
echo "keys: done"
