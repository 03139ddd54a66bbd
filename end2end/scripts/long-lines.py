#!/usr/bin/env python3
"""Lists the lines of the tracked .rs files that are wider than max_width (100 columns, rustfmt.toml)
outside `view!` macros, as file:line: width, and exits 1 when there is one.

Why: rustfmt leaves a whole body unformatted, silently, when one of its lines cannot fit in max_width
(a long string literal, comment or attribute), so `cargo fmt --check` passes over bodies it never
formatted. With no line over 100 columns, rustfmt formats every body.

Allowed:
  - lines inside a `view!` macro (from the line after `view! {` to its closing brace): leptosfmt owns
    them (its --check is a gate of style.sh), and it leaves a long Tailwind class string or text whole;
  - a comment line over the limit only because of a URL too long for a comment line of its own;
  - a line with a raw string literal (r#"..."#) too long for a line of its own: a raw string has no
    `\\` continuation, and an attribute (the CRD's printcolumn JSON) takes no concat!.
Nothing else: split a long string literal where it is written (a `\\` continuation after a space, the
space kept before the backslash, or `concat!`), wrap a long comment.

--count prints how many long lines are inside and outside `view!` instead (a measure; exit 0).
Usage: long-lines.py [--count] [FILE...]   (default: `git ls-files '*.rs'`)"""
import re
import subprocess
import sys

MAX_WIDTH = 100
URL = re.compile(r"\w+://\S+")
RAW = re.compile(r'\bb?r(#*)".*?"\1')


def view_lines(text):
    """The 1-based line numbers inside the bodies of `view!` macros (the lines after the opening one,
    through the line of the closing delimiter). A small lexer skips comments, strings and char literals,
    so a brace in them does not count."""
    inside = set()
    i, n, line = 0, len(text), 1
    stack = []  # open delimiters of the current view! body: (closing char, depth, line of the macro)
    depth = 0
    pairs = {"{": "}", "(": ")", "[": "]"}

    def advance(j):
        nonlocal line
        line += text.count("\n", i, j)
        return j

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = advance(n if j < 0 else j)
            continue
        if text.startswith("/*", i):
            level, j = 1, i + 2
            while j < n and level:
                if text.startswith("/*", j):
                    level, j = level + 1, j + 2
                elif text.startswith("*/", j):
                    level, j = level - 1, j + 2
                else:
                    j += 1
            i = advance(j)
            continue
        m = re.compile(r'b?r(#*)"').match(text, i)
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find('"' + m.group(1), m.end())
            i = advance(n if end < 0 else end + 1 + len(m.group(1)))
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = advance(j + 1)
            continue
        if c == "'":
            # A char literal ('x', '\n', '\u{1F600}'), else a lifetime or label.
            if i + 1 < n and text[i + 1] == "\\":
                j = text.find("'", i + 2)
                i = advance(j + 1)
                continue
            if i + 2 < n and text[i + 2] == "'":
                i = advance(i + 3)
                continue
            i += 1
            continue
        m = re.compile(r"view\s*!\s*([{(\[])").match(text, i)
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            start = line
            i = advance(m.end())
            depth += 1
            stack.append((pairs[m.group(1)], depth, start))
            continue
        if c in "{([":
            depth += 1
        elif c in "})]":
            if stack and stack[-1][1] == depth and c == stack[-1][0]:
                _, _, start = stack.pop()
                inside.update(range(start + 1, line + 1))
            depth -= 1
        elif c == "\n":
            line += 1
        i += 1
    return inside


def url_comment(line):
    """A comment line over the limit only because of a URL too long for a comment line of its own."""
    stripped = line.lstrip()
    marker = re.match(r"//[/!]?\s*", stripped)
    if not marker:
        return False
    prefix = len(line) - len(stripped) + marker.end()
    return any(m.end() > MAX_WIDTH and prefix + len(m.group()) > MAX_WIDTH
               for m in URL.finditer(line))


def long_raw_string(line):
    """A line over the limit only because of a raw string literal too long for a line of its own."""
    indent = len(line) - len(line.lstrip())
    return any(indent + len(m.group()) + 1 > MAX_WIDTH for m in RAW.finditer(line))


def main(argv):
    count = "--count" in argv
    files = [a for a in argv if a != "--count"]
    if not files:
        files = subprocess.run(["git", "ls-files", "*.rs"], check=True, capture_output=True,
                               text=True).stdout.split()
    in_view = allowed = 0
    offenders = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.split("\n")
        long = [k for k, l in enumerate(lines, 1) if len(l) > MAX_WIDTH]
        if not long:
            continue
        view = view_lines(text)
        for k in long:
            if k in view:
                in_view += 1
            elif url_comment(lines[k - 1]) or long_raw_string(lines[k - 1]):
                allowed += 1
            else:
                offenders.append(f"{path}:{k}: {len(lines[k - 1])} columns")
    if count:
        print(f"lines over {MAX_WIDTH} columns: {in_view} inside view!, {allowed + len(offenders)} "
              f"outside ({allowed} allowed: a URL or raw string too long for a line of its own)")
        return 0
    for o in offenders:
        print(o)
    if offenders:
        print(f"style: {len(offenders)} line(s) over {MAX_WIDTH} columns outside view!, and rustfmt "
              "silently leaves a body with one unformatted; split a long string where it is written "
              "(`\\` after a space, which keeps the space, or concat!), wrap a long comment, break a "
              "macro's arguments (tracing, json!) over lines, then run: cargo +stable fmt --all",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
