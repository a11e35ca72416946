#!/usr/bin/env python3
"""Lists the functions of src/ longer than a limit (60 lines by default), outside tests.

A function runs from its `fn` line to the brace that closes its body, found by counting braces outside
strings, characters and comments. `#[cfg(test)]` modules and `#[test]` functions are skipped (their
bodies are not counted), so are files under a `tests/` directory.

Usage: python3 scripts/long-functions.py [--limit N] [PATH ...]   (default PATH: src)
Prints `lines  file:line  name`, longest first; exits 1 when any function is over the limit.
"""
import argparse
import pathlib
import re
import sys

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+\"[^\"]*\"\s+)?fn\s+(\w+)")


def code_only(text):
    """The text with strings, characters and comments blanked (newlines kept), so braces can be counted."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r"r(#*)\"", text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(re.sub(r"[^\n]", " ", text[i : j + 1]))
            i = j + 1
        elif c == "'":
            # A character literal ('x', '\n', '\u{..}'), else a lifetime.
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def block_end(lines, start):
    """The index of the line whose brace closes the block opened at or after line `start` (None: no body)."""
    depth, opened = 0, False
    for k in range(start, len(lines)):
        for ch in lines[k]:
            if ch == "{":
                depth, opened = depth + 1, True
            elif ch == "}":
                depth -= 1
                if opened and depth == 0:
                    return k
            elif ch == ";" and not opened and depth == 0:
                return None
    return None


def functions(path):
    lines = code_only(path.read_text()).split("\n")
    found, k = [], 0
    while k < len(lines):
        line = lines[k].strip()
        if line.startswith("#[cfg(test)]") or line == "#[test]" or line.startswith("#[tokio::test"):
            # Skip the item that follows (a test module or a test function).
            j = k + 1
            while j < len(lines) and (lines[j].strip().startswith("#[") or not lines[j].strip()):
                j += 1
            end = block_end(lines, j)
            k = (end if end is not None else j) + 1
            continue
        m = FN.match(lines[k])
        if m:
            end = block_end(lines, k)
            if end is not None:
                found.append((end - k + 1, k + 1, m.group(1)))
                # Nested functions are counted inside their parent only.
                k = end + 1
                continue
        k += 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("paths", nargs="*", default=["src"])
    args = parser.parse_args()
    rows = []
    for root in args.paths:
        root = pathlib.Path(root)
        files = [root] if root.is_file() else sorted(root.rglob("*.rs"))
        for path in files:
            if "tests" in path.parts or path.name == "tests.rs":
                continue
            for length, line, name in functions(path):
                if length > args.limit:
                    rows.append((length, f"{path}:{line}", name))
    for length, at, name in sorted(rows, reverse=True):
        print(f"{length:5}  {at}  {name}")
    return 1 if rows else 0


if __name__ == "__main__":
    sys.exit(main())
