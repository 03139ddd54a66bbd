#!/usr/bin/env python3
"""Runs cargo's tests and counts them from the runners' machine-readable reports, not from text.

    cargo-tests.py LABEL REPORT -- CARGO_TEST_ARGS... [-- TEST_BINARY_ARGS...]

Builds with `cargo test --no-run --message-format=json`, which names every test executable it built,
then runs each one as `cargo test` would (from its package's directory, with the package's variables)
with libtest's JSON event stream (`--format json`; libtest accepts it on stable when RUSTC_BOOTSTRAP is
set for the test process only, nothing is compiled with it). Prints what a person reads (each test,
a failure's output, a result line per executable) and appends `LABEL PASSED FAILED` to REPORT. A build
that fails, an executable that ends without its suite's result, or no executable at all counts as one
failure more. Exits 0; the summary judges.
"""
import json
import os
import subprocess
import sys


def build(cargo_args):
    """The test executables with the directory and name of their package, or None when the build failed."""
    command = ["cargo", "test", "--no-run", "--message-format=json-render-diagnostics", *cargo_args]
    print("+ " + " ".join(command), flush=True)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    executables = []
    for line in process.stdout:
        try:
            message = json.loads(line)
        except ValueError:
            print(line, end="")
            continue
        if message.get("reason") != "compiler-artifact" or not message.get("executable"):
            continue
        if not message.get("profile", {}).get("test"):
            continue
        package = os.path.dirname(message["manifest_path"])
        name = message["package_id"].split("#")[-1].split("@")[0].split("/")[-1]
        executables.append((message["executable"], package, name, message["target"]["name"]))
    return executables if process.wait() == 0 else None


def run(executable, package, package_name, target, test_args):
    """Runs one executable; (passed, failed) from its JSON events."""
    env = dict(os.environ, RUSTC_BOOTSTRAP="1", CARGO_MANIFEST_DIR=package, CARGO_PKG_NAME=package_name)
    command = [executable, *test_args, "-Z", "unstable-options", "--format", "json"]
    print(f"\n     Running {target} ({os.path.relpath(executable)})", flush=True)
    process = subprocess.Popen(command, cwd=package, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace")
    passed = failed = 0
    finished = False
    for line in process.stdout:
        event = None
        if line.startswith("{"):
            try:
                event = json.loads(line)
            except ValueError:
                event = None
        if not isinstance(event, dict) or "type" not in event:
            print(line, end="", flush=True)  # the tests' own output (--nocapture)
            continue
        kind, what = event["type"], event.get("event")
        if kind == "test" and what in ("ok", "failed", "ignored", "timeout"):
            shown = {"ok": "ok", "failed": "FAILED", "ignored": "ignored", "timeout": "has been running too long"}[what]
            print(f"test {event['name']} ... {shown}", flush=True)
            if what == "failed" and event.get("stdout"):
                print(f"---- {event['name']} stdout ----\n{event['stdout']}", flush=True)
        elif kind == "suite" and what in ("ok", "failed"):
            finished = True
            passed += event.get("passed", 0)
            failed += event.get("failed", 0)
            result = "ok" if what == "ok" else "FAILED"
            print(f"test result: {result}. {event.get('passed', 0)} passed; {event.get('failed', 0)} failed; "
                  f"{event.get('ignored', 0)} ignored; finished in {event.get('exec_time', 0):.2f}s", flush=True)
    code = process.wait()
    if not finished:
        print(f"{target}: ended (exit {code}) without its suite's result", flush=True)
        failed += 1
    elif code != 0 and failed == 0:
        print(f"{target}: exit {code} though no test failed", flush=True)
        failed += 1
    return passed, failed


def main():
    label, report = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    cargo_args, test_args = (rest[: rest.index("--")], rest[rest.index("--") + 1:]) if "--" in rest else (rest, [])
    executables = build(cargo_args)
    passed = failed = 0
    if not executables:
        print(f"{label}: {'the build failed' if executables is None else 'no test executable was built'}", flush=True)
        failed = 1
    for executable in executables or []:
        p, f = run(*executable, test_args)
        passed, failed = passed + p, failed + f
    with open(report, "a") as out:
        out.write(f"{label} {passed} {failed}\n")


if __name__ == "__main__":
    main()
