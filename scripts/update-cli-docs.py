#!/usr/bin/env python3
"""Rewrites every `$ kiln [COMMAND] --help` block in docs/cli.md with the binary's current help.

Usage: scripts/update-cli-docs.py build/bin/kiln
tests/integration/test_cli_examples.py fails when a block drifts from the binary.
"""
import re
import subprocess
import sys


def main():
    kiln = sys.argv[1] if len(sys.argv) > 1 else "build/bin/kiln"
    path = "docs/cli.md"
    with open(path) as f:
        text = f.read()

    def refresh(match):
        command = match.group(1).split()
        out = subprocess.run([kiln, *command, "--help"], capture_output=True, text=True,
                             check=True).stdout
        return f"```\n$ kiln{match.group(1)} --help\n{out}```"

    new = re.sub(r"```\n\$ kiln((?: \w+)?) --help\n(.*?)```", refresh, text, flags=re.S)
    with open(path, "w") as f:
        f.write(new)
    print(f"update-cli-docs: refreshed {path}")


if __name__ == "__main__":
    main()
