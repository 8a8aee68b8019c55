#!/usr/bin/env python3
"""Times fedcheck on hostile inputs and a stand-in under attack: the figures in the README's security section.

    cargo build --release && python3 scripts/bench-hostile.py [--bin target/release/fedcheck]

Part 1 builds documents from a signed fixture (testdata/saml2/mfa-sha256.xml) that attack the work a verifier
does before the digest is compared (so their signatures need not match), runs `fedcheck check` on each under the
default engines (fedcheck and libxmlsec1) and prints wall time, CPU time (user + system, from wait4), peak RSS, and
CPU seconds per MB of input. The constructions are the ones tests/budget.rs asserts bounds for, plus the largest
input the default size cap lets through.

Part 2 starts `fedcheck serve` with its default limits and measures an honest client while (a) 2000 connections
trickle a request header and never finish it (slowloris) and (b) 8 heavy posts pass a 1-second --request-timeout
(timeout storm: 8 posts of a 4 MB token that takes 0.7 s of CPU each, 2 cores, 4 judging slots). Standard library only.
"""

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import base64

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TD = os.path.join(ROOT, "testdata")
FIXTURE = os.path.join(TD, "saml2/mfa-sha256.xml")
AT = "2026-01-15T10:05:00Z"


def fixture():
    with open(FIXTURE, encoding="utf-8") as f:
        return f.read()


def assertion_bounds(xml):
    start = xml.index("<saml:Assertion")
    end = xml.index("</saml:Assertion>") + len("</saml:Assertion>")
    return start, end


def amplification():
    uri = "urn:" + "a" * 20_000
    return (
        fixture()
        .replace("<saml:AttributeStatement>", f'<saml:AttributeStatement xmlns:z="{uri}">', 1)
        .replace("</saml:AttributeStatement>", "<z:e/>" * 30_000 + "</saml:AttributeStatement>", 1)
    )


def inclusive_prefixes(n_prefixes=240, n_elements=20_000):
    prefixes = " ".join(f"p{i}" for i in range(n_prefixes))
    decls = " ".join(f'xmlns:p{i}="urn:p{i}"' for i in range(n_prefixes))
    t = '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    inc = (
        '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces '
        f'xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="{prefixes}"/></ds:Transform>'
    )
    values = "<saml:AttributeValue>v</saml:AttributeValue>" * n_elements
    return (
        fixture()
        .replace(t, inc, 1)
        .replace("<saml:AttributeStatement>", f"<saml:AttributeStatement {decls}>", 1)
        .replace(
            "</saml:AttributeStatement>",
            f'<saml:Attribute Name="x">{values}</saml:Attribute></saml:AttributeStatement>',
            1,
        )
    )


def deep_scope():
    opens, closes = [], []
    for level in range(100):
        decls = " ".join(f'xmlns:q{level}_{i}="urn:q{level}-{i}"' for i in range(200))
        opens.append(f"<d{level} {decls}>")
        closes.insert(0, f"</d{level}>")
    return fixture().replace(
        "</saml:AttributeStatement>",
        "".join(opens) + "<q0_0:x/>" * 30_000 + "".join(closes) + "</saml:AttributeStatement>",
        1,
    )


def signed_assertions(n, filler=0):
    xml = fixture()
    start, end = assertion_bounds(xml)
    one = xml[start:end]
    if filler:
        values = "<saml:AttributeValue>v</saml:AttributeValue>" * filler
        one = one.replace(
            "</saml:AttributeStatement>",
            f'<saml:Attribute Name="x">{values}</saml:Attribute></saml:AttributeStatement>',
        )
    # A fresh ID per copy, its Reference pointing at it: every copy's digest and signature are computed.
    many = "".join(one.replace("_a0001", f"_s{i}") for i in range(n))
    return xml[:start] + many + xml[end:]


def largest_input(limit=20 * 1024 * 1024):
    """One signed assertion padded with 1 kB attribute values to just under the 20 MiB default input cap (and
    under the 200 000-node limit)."""
    xml = fixture()
    value = "<saml:AttributeValue>" + "v" * 1000 + "</saml:AttributeValue>"
    room = limit - len(xml.encode()) - 200
    values = value * (room // len(value))
    return xml.replace(
        "</saml:AttributeStatement>",
        f'<saml:Attribute Name="x">{values}</saml:Attribute></saml:AttributeStatement>',
        1,
    )


def timed(cmd, cwd):
    start = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    wall = time.monotonic() - start
    # communicate() has reaped the child; its rusage is in RUSAGE_CHILDREN, so take the difference.
    return p.returncode, wall, out, err


def run_check(binary, path, extra):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    code, wall, out, err = timed(
        [binary, "check", path, "--idp-cert", "keys/idp-signing.crt", "--at", AT, "--format", "json", *extra], TD
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: run each case in a fresh helper for a true peak.
    return code, wall, cpu, out, err


def peak_rss_kib(binary, path, extra):
    """Peak RSS of one run, measured in a fresh Python child so earlier cases do not mask it."""
    code = (
        "import resource,subprocess,sys;"
        "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    cmd = [sys.executable, "-c", code, binary, "check", path, "--idp-cert", "keys/idp-signing.crt", "--at", AT,
           "--format", "json", *extra]
    return int(subprocess.run(cmd, cwd=TD, capture_output=True, text=True).stdout.strip() or 0)


def part1(binary):
    cases = [
        ("c14n amplification (20 kB namespace x 30 000 elements)", amplification, []),
        ("exclusive c14n, 240-prefix InclusiveNamespaces over 20 000 elements", inclusive_prefixes, []),
        ("20 000 namespace declarations in scope, 30 000 elements", deep_scope, []),
        ("32 signed assertions of 1000 nodes (the signature limit)", lambda: signed_assertions(32, 450), []),
        ("32 signed assertions, 190 000 nodes in all", lambda: signed_assertions(32, 2900), []),
        ("1000 signed assertions (over --max-signatures)", lambda: signed_assertions(1000), []),
        ("1000 signed assertions, --max-signatures 1000", lambda: signed_assertions(1000),
         ["--max-signatures", "1000"]),
        ("largest input under the 20 MiB cap (one assertion, 20 000 values of 1 kB)", largest_input, []),
    ]
    print("| input | size | exit | wall | CPU | CPU per MB | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, build, extra in cases:
            xml = build()
            path = os.path.join(tmp, "case.xml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(xml)
            mb = len(xml.encode()) / 1e6
            code, wall, cpu, _, _ = run_check(binary, path, extra)
            rss = peak_rss_kib(binary, path, extra)
            flags = (" `" + " ".join(extra) + "`") if extra else ""
            print(
                f"| {name}{flags} | {mb:.2f} MB | {code} | {wall:.2f} s | {cpu:.2f} s | {cpu / mb:.2f} s | "
                f"{rss / 1024:.0f} MiB |"
            )
            sys.stdout.flush()


class Serve:
    def __init__(self, binary, args):
        self.p = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--idp-cert", "keys/idp-signing.crt", "--at", AT,
             "--expect-issuer", "http://sts.contoso.test/adfs/services/trust", *args],
            cwd=TD, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        for line in self.p.stdout:
            if line.startswith("fedcheck serve: listening on "):
                self.base = line.split("listening on ", 1)[1].strip().rstrip("/")
                break
        else:
            raise SystemExit("serve did not start")
        threading.Thread(target=lambda: [None for _ in self.p.stdout], daemon=True).start()
        self.hostport = self.base.split("//", 1)[1]

    def close(self):
        self.p.kill()
        self.p.wait()


def form(xml):
    return urllib.parse.urlencode({"SAMLResponse": base64.b64encode(xml.encode()).decode()}).encode()


def post(acs, body, timeout=60):
    req = urllib.request.Request(acs, data=body, headers={"Accept": "application/json"})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = 0
    return status, time.monotonic() - start


def honest_post(s):
    """Posts the genuine fixture, retrying a 503 (over the connection cap) for up to 5 s; status and latency."""
    body = form(fixture())
    start = time.monotonic()
    while True:
        status, _ = post(s.base + "/login.srf", body)
        if status == 200 or time.monotonic() - start > 5:
            return status, time.monotonic() - start
        time.sleep(0.25)


def part2(binary):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    s = Serve(binary, [])
    try:
        idle = []
        for _ in range(2000):
            try:
                c = socket.create_connection(s.hostport.split(":"), timeout=5)
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                idle.append(c)
            except OSError:
                break
        status, took = honest_post(s)
        print(f"slowloris: {len(idle)} connections trickling a header; an honest post answered {status} in "
              f"{took:.2f} s (defaults: --max-connections 256, --header-timeout 10)")
        time.sleep(11)
        closed = 0
        for c in idle:
            c.settimeout(0.05)
            try:
                data = c.recv(256)
                closed += 1 if data is not None else 0
            except OSError:
                pass
            c.close()
        print(f"slowloris: {closed} of {len(idle)} closed by the server after the header timeout")
    finally:
        s.close()
    s = Serve(binary, ["--request-timeout", "1", "--max-body", "8M"])
    try:
        heavy = form(signed_assertions(32, 2900))
        results = []
        threads = [threading.Thread(target=lambda: results.append(post(s.base + "/login.srf", heavy)))
                   for _ in range(8)]
        start = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(0.2)
        status, took = honest_post(s)
        for t in threads:
            t.join()
        statuses = sorted(r[0] for r in results)
        print(f"timeout storm: 8 posts of {len(heavy) / 1e6:.1f} MB with --request-timeout 1 --max-body 8M answered {statuses} "
              f"within {max(r[1] for r in results):.2f} s; an honest post sent during the storm answered {status} "
              f"in {took:.2f} s")
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/fedcheck"))
    ap.add_argument("--only", choices=["check", "serve"])
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    print(f"machine: {os.cpu_count()} CPUs; {subprocess.run(['uname', '-m'], capture_output=True, text=True).stdout.strip()}")
    if a.only != "serve":
        part1(binary)
    if a.only != "check":
        part2(binary)


if __name__ == "__main__":
    main()
