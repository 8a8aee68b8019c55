#!/usr/bin/env python3
"""The dependency graph between the top-level modules of the fedcheck library (src/), and its cycles.

For each top-level module (src/X.rs or src/X/), lists the other top-level modules it names through `crate::Y`
paths: `use crate::y::Z;`, `use crate::{y::Z, w};` groups, `super::`/`super::super::` paths that climb out of the
module, and paths written inline in code (`crate::y::f(..)`). Comments and string literals are ignored. Code under
`#[cfg(test)]` is left out unless --tests is given (a test may reach up the pipeline for its fixtures).

    python3 scripts/module-graph.py            # edges, then the cycles; exit 1 if there is a cycle
    python3 scripts/module-graph.py --tests    # the same, counting test code too
    python3 scripts/module-graph.py --where    # every edge with the files and lines that make it
    python3 scripts/module-graph.py --src DIR  # another source tree

The binary's modules (src/main.rs, src/cli/) use the library as `fedcheck::`, so they are not part of the graph.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
BINARY_ONLY = {"main", "cli", "lib"}


LEXEME = re.compile(
    r"//[^\n]*"                                  # line comment
    r"|/\*(?:[^*]|\*(?!/))*\*/"                   # block comment (not nested)
    r'|\bb?r(?P<hashes>#*)"(?:.|\n)*?"(?P=hashes)'  # raw string
    r'|b?"(?:\\.|\\\n|[^"\\])*"'                 # string
    r"|b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'\n])'",  # char literal (not a lifetime)
    re.S,
)


def strip_comments_and_strings(text):
    """Blanks comments, string and char literals (keeping newlines, so line numbers still hold)."""
    def blank(m):
        s = m.group(0)
        return "\n".join(" " * len(part) for part in s.split("\n"))

    return LEXEME.sub(blank, text)


BRACE = re.compile(r"[{}]")


def matching_brace(clean, pos):
    """Offset just past the `}` closing the block whose `{` ends just before `pos`."""
    depth = 1
    for m in BRACE.finditer(clean, pos):
        depth += 1 if m.group(0) == "{" else -1
        if depth == 0:
            return m.end()
    return len(clean)


def expand_use_tree(tree):
    """`a::{b::C, d}` -> ['a::b::C', 'a::d'] (whitespace already removed)."""
    depth, start = 0, None
    for k, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = k
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                prefix, inner, rest = tree[:start], tree[start + 1:k], tree[k + 1:]
                parts, d, s = [], 0, 0
                for m, c2 in enumerate(inner):
                    if c2 == "{":
                        d += 1
                    elif c2 == "}":
                        d -= 1
                    elif c2 == "," and d == 0:
                        parts.append(inner[s:m])
                        s = m + 1
                parts.append(inner[s:])
                result = []
                for p in parts:
                    if p:
                        result.extend(expand_use_tree(prefix + p + rest))
                return result
    return [tree]


def module_spans(clean):
    """For each character offset: the inline `mod` stack and whether it is test-only code."""
    spans = []  # (start, end, name, is_test)
    for m in re.finditer(r"((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*\{", clean):
        j = matching_brace(clean, m.end())
        spans.append((m.end(), j, m.group(2), "cfg(test)" in m.group(1)))
    for m in re.finditer(r"#\[cfg\(test\)\]\s*((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?(fn|impl|use)\b", clean):
        # a test-only item outside a test module: up to its end (`;` for use, matching brace otherwise)
        j = m.end()
        if m.group(2) == "use":
            j = clean.find(";", j) + 1
        else:
            j = matching_brace(clean, clean.find("{", j) + 1)
        spans.append((m.start(), j, None, True))
    return spans


def scope_at(spans, pos):
    names, test = [], False
    for start, end, name, is_test in spans:
        if start <= pos < end:
            if name:
                names.append((start, name))
            test = test or is_test
    return [n for _, n in sorted(names)], test


def file_module_path(rel):
    """src-relative file -> module path, e.g. 'input/lines.rs' -> ['input', 'lines']."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def resolve(path_segments, here):
    """Absolute module path (list) of a `crate::`/`super::`/`self::` path written in module `here`."""
    segs = list(path_segments)
    if segs[0] == "crate":
        return segs[1:]
    base = list(here)
    while segs and segs[0] in ("super", "self"):
        if segs.pop(0) == "super":
            if not base:
                return None
            base.pop()
    return base + segs


def file_edges(root, rel, include_tests):
    text = open(os.path.join(root, rel), encoding="utf-8").read()
    clean = strip_comments_and_strings(text)
    spans = module_spans(clean)
    here_file = file_module_path(rel)
    if here_file[0] in BINARY_ONLY:
        return []
    line_of = lambda pos: clean.count("\n", 0, pos) + 1
    found = []

    def record(pos, segments):
        inline, test = scope_at(spans, pos)
        if test and not include_tests:
            return
        target = resolve(segments, here_file + inline)
        if target and target[0] != here_file[0] and target[0] not in BINARY_ONLY:
            found.append((here_file[0], target[0], rel, line_of(pos)))

    use_spans = []
    for m in re.finditer(r"\buse\s+([^;]*);", clean):
        tree = re.sub(r"\s+", "", m.group(1))
        use_spans.append((m.start(), m.end()))
        for path in expand_use_tree(tree):
            segs = [s for s in re.split(r"::", re.sub(r"\bas\w+$", "", path)) if s]
            segs = [s.split(" as ")[0] for s in segs]
            if segs and segs[0] in ("crate", "super", "self"):
                record(m.start(), segs)
    in_use = lambda pos: any(a <= pos < b for a, b in use_spans)
    for m in re.finditer(r"(?<![\w:])((?:crate|super)(?:\s*::\s*(?:super|self))*)\s*::\s*(\w+)", clean):
        if in_use(m.start()):
            continue
        segs = re.split(r"\s*::\s*", m.group(1)) + [m.group(2)]
        record(m.start(), segs)
    return found


def collect(root, include_tests):
    edges = {}
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith(".rs"):
                rel = os.path.relpath(os.path.join(dirpath, f), root)
                for a, b, where, line in file_edges(root, rel, include_tests):
                    places = edges.setdefault((a, b), [])
                    if f"{where}:{line}" not in places:
                        places.append(f"{where}:{line}")
    return edges


def cycles(modules, edges):
    """Strongly connected components with more than one module (Tarjan), and one shortest cycle through each pair."""
    graph = {m: sorted(b for (a, b) in edges if a == m) for m in modules}
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps, graph


def shortest_path(graph, start, goal, allowed):
    frontier, seen = [[start]], {start}
    while frontier:
        nxt = []
        for p in frontier:
            for w in graph[p[-1]]:
                if w == goal:
                    return p + [w]
                if w in allowed and w not in seen:
                    seen.add(w)
                    nxt.append(p + [w])
        frontier = nxt
    return None


def main(argv):
    include_tests = "--tests" in argv
    show_where = "--where" in argv
    root = os.path.normpath(argv[argv.index("--src") + 1] if "--src" in argv else ROOT)
    modules = sorted(
        n[:-3] if n.endswith(".rs") else n
        for n in os.listdir(root)
        if (n.endswith(".rs") or os.path.isdir(os.path.join(root, n)))
        and (n[:-3] if n.endswith(".rs") else n) not in BINARY_ONLY
    )
    edges = collect(root, include_tests)
    print(f"modules: {' '.join(modules)}" + ("  (test code counted)" if include_tests else ""))
    for m in modules:
        outs = sorted(b for (a, b) in edges if a == m)
        print(f"  {m:9} -> {' '.join(outs) if outs else '(nothing)'}")
        if show_where:
            for b in outs:
                print(f"      {b}: {', '.join(edges[(m, b)])}")
    comps, graph = cycles(modules, edges)
    if not comps:
        print("cycles: none")
        return 0
    print(f"cycles: {len(comps)} group(s) of modules that reach each other")
    for comp in comps:
        print(f"  {{{', '.join(comp)}}}")
        for a in comp:
            for b in graph[a]:
                if b in comp and a < b:
                    back = shortest_path(graph, b, a, set(comp))
                    if back:
                        print(f"    {a} -> {' -> '.join(back)}")
                        print(f"      {a} -> {b}: {', '.join(edges[(a, b)][:4])}")
                        print(f"      {b} -> {back[1]}: {', '.join(edges[(b, back[1])][:4])}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
