#!/usr/bin/env python3
"""Every citation of a fact sheet in the code resolves inside the repository.

A comment may cite docs/references.md#anchor or docs/references.md Rn; the
anchor (<a id="...">) or the rule row (| Rn |) must exist.  Fact sheets that
are not in the repository (scanner-facts.md, os-stack-facts.md) must not be
cited at all.  Exit status 1 lists what does not resolve."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
refs = (root / "docs" / "references.md").read_text()
anchors = set(re.findall(r'<a id="([^"]+)"></a>', refs))
rules = set(re.findall(r"^\| (R\d+) \|", refs, re.M))
bad = []
for sub in ("plugin", "reader", "tests/unit", "README.md"):
    paths = [root / sub] if (root / sub).is_file() else sorted((root / sub).rglob("*"))
    for path in paths:
        if path.suffix not in (".c", ".h", ".in", ".md") or not path.is_file():
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            where = f"{path.relative_to(root)}:{n}"
            for gone in ("scanner-facts", "os-stack-facts", "domain-facts"):
                if gone in line:
                    bad.append(f"{where}: cites {gone}, which is not in the repository")
            for a in re.findall(r"references\.md#([A-Za-z0-9_-]+)", line):
                if a not in anchors:
                    bad.append(f"{where}: no anchor '{a}' in docs/references.md")
            for r in re.findall(r"references\.md (R\d+)", line):
                if r not in rules:
                    bad.append(f"{where}: no rule {r} in docs/references.md")
print("\n".join(bad) if bad else f"all citations resolve ({len(anchors)} anchors, {len(rules)} rules)")
sys.exit(1 if bad else 0)
