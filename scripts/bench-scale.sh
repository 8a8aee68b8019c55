#!/usr/bin/env bash
# fedcheck at scale, measured the way a user runs it, beside the machine's RSA-2048 verify floor (issue 14).
#
#   scripts/bench-scale.sh                 # 20 000 tokens, 3 interleaved rounds
#   TOKENS=100000 ROUNDS=5 scripts/bench-scale.sh
#   FIXTURE=testdata/saml2/mfa-sha256.xml scripts/bench-scale.sh
#
# Generates TOKENS copies of FIXTURE (default: the WS-Fed token AD FS posts to Entra) in one directory and as one
# base64 line each, then in each round measures `openssl speed rsa2048` (the floor: one RSA-2048 public-key
# operation) and every fedcheck run below, and prints the median of the rounds and the best round (other work on a
# shared machine only ever adds time, so the best round is the closest to the cost itself):
#   - CPU (user + sys) per token and its ratio to the floor, for --engines fedcheck, xmlsec and both
#     (`check DIR --format ndjson`), with the peak RSS (/usr/bin/time -v) and a check that every line came out;
#   - wall time with --jobs 1 and with every core;
#   - the same tokens through `check - --input-format lines` (stdin);
#   - start-up: /bin/true, `fedcheck --version`, a one-token `check` (both engines, and fedcheck only).
# Quote ratios to the floor measured in the same run, never lone times: the machine may be shared.
# FEDCHECK_BIN uses a given binary instead of building target/release/fedcheck. The generated data is removed at the
# end (KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."

TOKENS=${TOKENS:-20000}
ROUNDS=${ROUNDS:-3}
FIXTURE=${FIXTURE:-testdata/wsfed/mfa-authmethod-sha256.xml}
CERT=${CERT:-testdata/keys/idp-signing.crt}
AT=${AT:-2026-01-15T10:05:00Z}
STARTS=${STARTS:-100}
TIME=/usr/bin/time

for tool in openssl "$TIME" awk base64 sort; do
  command -v "$tool" >/dev/null || { echo "bench-scale: $tool is needed (GNU time: apt-get install time)" >&2; exit 1; }
done
if [ -z "${FEDCHECK_BIN:-}" ]; then
  cargo build --release --locked --quiet
  FEDCHECK_BIN=target/release/fedcheck
fi
BIN=$(realpath "$FEDCHECK_BIN")
CORES=$(nproc)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fedcheck-bench-scale.XXXXXX")
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "data kept in $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

echo "== generating $TOKENS copies of $FIXTURE"
mkdir -p "$WORK/dir"
IFS= read -r -d '' content < "$FIXTURE" || true
for ((i = 0; i < TOKENS; i++)); do printf '%s' "$content" > "$(printf '%s/dir/t%07d.xml' "$WORK" "$i")"; done
cmp -s "$FIXTURE" "$WORK/dir/t0000000.xml" || { echo "bench-scale: the copies differ from $FIXTURE" >&2; exit 1; }
line=$(base64 -w0 "$FIXTURE")
for ((i = 0; i < TOKENS; i++)); do printf '%s\n' "$line"; done > "$WORK/lines.txt"

# One RSA-2048 verify, in microseconds (the verify/s column of `openssl speed`, whatever the OpenSSL version).
floor_us() {
  openssl speed -seconds 1 rsa2048 2>/dev/null | awk '
    /verify\/s/ { for (i = 1; i <= NF; i++) if ($i == "verify/s") col = i }
    /^rsa 2048 bits/ && col { printf "%.2f\n", 1e6 / $(col + 3) }'
}

# Runs fedcheck under GNU time; prints "cpu_seconds wall_seconds max_rss_kb lines".
measure() {
  local out="$WORK/out.ndjson" stats="$WORK/time.txt"
  "$TIME" -v -o "$stats" "$@" > "$out" 2>/dev/null || true
  local user sys wall rss
  user=$(awk -F': ' '/User time/ {print $2}' "$stats")
  sys=$(awk -F': ' '/System time/ {print $2}' "$stats")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$stats")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$stats")
  echo "$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') $wall $rss $(wc -l < "$out")"
}

# Mean wall time of one run of "$@" over STARTS runs, in milliseconds.
startup_ms() {
  local t0 t1
  t0=$(date +%s%N)
  for ((i = 0; i < STARTS; i++)); do "$@" > /dev/null 2>&1 || true; done
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" -v n="$STARTS" 'BEGIN {printf "%.2f\n", (b - a) / n / 1e6}'
}

check=("$BIN" check --idp-cert "$CERT" --at "$AT" --format ndjson --quiet)
declare -A R
add() { R[$1]="${R[$1]:-} $2"; }

echo "== $ROUNDS interleaved rounds on $CORES cores (load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
for ((r = 1; r <= ROUNDS; r++)); do
  add floor "$(floor_us)"
  for e in fedcheck xmlsec both; do
    read -r cpu wall rss n <<< "$(measure "${check[@]}" "$WORK/dir" --engines "$e" --jobs "$CORES")"
    add "cpu_$e" "$cpu"; add "rss_$e" "$rss"; add "wall_$e" "$wall"; add "lines_$e" "$n"
  done
  read -r cpu wall rss n <<< "$(measure "${check[@]}" "$WORK/dir" --engines fedcheck --jobs 1)"
  add cpu_j1 "$cpu"; add wall_j1 "$wall"; add rss_j1 "$rss"
  read -r cpu wall rss n <<< "$(measure "${check[@]}" - --input-format lines --engines fedcheck --jobs "$CORES" < "$WORK/lines.txt")"
  add cpu_lines "$cpu"; add wall_lines "$wall"; add rss_lines "$rss"; add lines_lines "$n"
  add floor "$(floor_us)"
  add start_true "$(startup_ms /bin/true)"
  add start_version "$(startup_ms "$BIN" --version)"
  add start_one_both "$(startup_ms "$BIN" check "$FIXTURE" --idp-cert "$CERT" --at "$AT" --format json)"
  add start_one_fedcheck "$(startup_ms "$BIN" check "$FIXTURE" --idp-cert "$CERT" --at "$AT" --format json --engines fedcheck)"
  echo "   round $r done (load average $(cut -d' ' -f1-3 /proc/loadavg))"
done

median() { tr ' ' '\n' <<< "${R[$1]}" | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# The least disturbed round: on a shared machine other work only ever adds time, so the minimum is the cost itself.
minimum() { tr ' ' '\n' <<< "${R[$1]}" | grep -v '^$' | sort -g | head -1; }
per_token_us() { awk -v c="$(median "$1")" -v n="$TOKENS" 'BEGIN {printf "%.1f", c / n * 1e6}'; }
best_per_token_us() { awk -v c="$(minimum "$1")" -v n="$TOKENS" 'BEGIN {printf "%.1f", c / n * 1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

floor=$(median floor)
best_floor=$(minimum floor)
echo
echo "fedcheck $("$BIN" --version | cut -d' ' -f2), $(openssl version | cut -d' ' -f1-2), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $CORES cores"
echo "$TOKENS tokens ($(basename "$FIXTURE"), $(wc -c < "$FIXTURE") bytes each); medians of $ROUNDS rounds, and the best"
echo "round of each (\"best\", against the best floor): other work on a shared machine only ever adds time"
echo
printf 'RSA-2048 verify floor (openssl speed rsa2048, same rounds): %s us (best %s us)\n\n' "$floor" "$best_floor"
printf '%-44s %12s %9s %12s %9s %10s %9s %s\n' "run (check --format ndjson)" "CPU/token" "x floor" "best" "x floor" "peak RSS" "wall" \
  "lines out"
row() { # label key rss_key wall_key lines_key
  local us best; us=$(per_token_us "$2"); best=$(best_per_token_us "$2")
  printf '%-44s %9s us %8sx %9s us %8sx %7s MB %8ss %s\n' "$1" "$us" "$(ratio "$us" "$floor")" "$best" \
    "$(ratio "$best" "$best_floor")" "$(awk -v k="$(median "$3")" 'BEGIN {printf "%.0f", k / 1024}')" "$(median "$4")" "${5:-}"
}
expected=$((TOKENS + 1))
row "DIR --engines fedcheck --jobs $CORES" cpu_fedcheck rss_fedcheck wall_fedcheck "$(median lines_fedcheck)/$expected"
row "DIR --engines xmlsec --jobs $CORES" cpu_xmlsec rss_xmlsec wall_xmlsec "$(median lines_xmlsec)/$expected"
row "DIR --engines both --jobs $CORES" cpu_both rss_both wall_both "$(median lines_both)/$expected"
row "DIR --engines fedcheck --jobs 1" cpu_j1 rss_j1 wall_j1
row "- --input-format lines (fedcheck, $CORES jobs)" cpu_lines rss_lines wall_lines "$(median lines_lines)/$expected"
echo
fc=$(per_token_us cpu_fedcheck); xs=$(per_token_us cpu_xmlsec); both=$(per_token_us cpu_both)
echo "both vs fedcheck + xmlsec: $both us vs $(awk -v a="$fc" -v b="$xs" 'BEGIN {print a + b}') us ($(awk -v a="$both" -v f="$fc" -v x="$xs" 'BEGIN {printf "%+.0f%%", (a / (f + x) - 1) * 100}'))"
echo "wall, all cores vs --jobs 1: $(median wall_fedcheck) s vs $(median wall_j1) s ($(ratio "$(median wall_j1)" "$(median wall_fedcheck)")x faster on $CORES cores; \
cores kept busy: $(ratio "$(median cpu_fedcheck)" "$(median wall_fedcheck)") of $CORES, other work on the machine takes the rest)"
echo
mb() { echo "$(median "$1") ms (best $(minimum "$1"))"; }
echo "start-up (mean of $STARTS runs, median of the rounds): /bin/true $(mb start_true), fedcheck --version $(mb start_version),"
echo "  one-token check $(mb start_one_both) with both engines, $(mb start_one_fedcheck) with --engines fedcheck"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
