#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The accuracy ledger: every labelled source of the project's captures and
the shared corpus, what ddi claimed about it, and whether that was right.

    scripts/accuracy.py [--build DIR] [--corpus DIR] [--out docs/accuracy.md]

Labels come from the captures' origins, never from ddi's output:
tests/data/corpus_os.tsv (OS family), tests/data/corpus_tools.tsv (scanner
tools, per packet kind), captures/record/MANIFEST.tsv (what recorded each
source) and tests/data/corpus_claims.tsv (NAT, PPPoE, Conficker-style,
backscatter, spoofed source).  Each claim type gets: labelled sources, hits, misses, correct
rejections and false claims, and every false claim is listed with its frames.
tests/integration/test_accuracy.py regenerates the ledger and asserts that
the committed docs/accuracy.md still holds.
"""
import argparse
import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

CLAIMS = os.path.join(SOURCE, "tests", "data", "corpus_claims.tsv")
FIELDS = ["frame.number", "ip.src", "ipv6.src", "ip.proto", "tcp.flags", "ddi.os.family", "ddi.tool",
          "ddi.nat", "ddi.mss.pppoe", "ddi.conficker", "ddi.backscatter", "ddi.ipid.rate", "ddi.spoof"]
ORDER = ["OS family", "tool", "NAT", "PPPoE", "Conficker-style", "backscatter", "spoofed source", "IP-ID rate"]
SYN = "0x0002"
# "scanning ~20 packets/s elsewhere" (Team Cymru, Deep Darknet Inspection part 1)
PUBLISHED_RATE = 20.0


def truthy(v):
    # a true FT_BOOLEAN prints 1 (Wireshark 4.0) or True (4.4+)
    return v not in ("", "0", "False", "no")


CLAIM_FIELD = {"nat": ("NAT", "ddi.nat"), "pppoe": ("PPPoE", "ddi.mss.pppoe"),
               "conficker": ("Conficker-style", "ddi.conficker"), "backscatter": ("backscatter", "ddi.backscatter"),
               # ddi.spoof is "possible" or "likely" when a test matched (absent otherwise): either is a claim
               "spoof": ("spoofed source", "ddi.spoof")}


class Ledger:
    def __init__(self):
        # claim type -> counters and the false claims
        self.n = {c: collections.Counter() for c in ORDER}
        self.false = {c: [] for c in ORDER}

    def yes_no(self, ctype, cap, src, rows, field, expected, why):
        claimed = [r for r in rows if truthy(r[field])]
        n = self.n[ctype]
        n["labelled"] += 1
        if expected:
            n["hit" if claimed else "miss"] += 1
        elif claimed:
            n["false"] += 1
            self.false[ctype].append((cap, src, frames(claimed), "%s = %s, label: no (%s)" %
                                      (field, claimed[0][field], why)))
        else:
            n["rejected"] += 1

    def value(self, ctype, cap, src, rows, field, accept, why, may_miss=0):
        """Label is a value (OS family, tool name); `accept` is the set of right answers ({''} = none);
        `may_miss` packets may carry no answer (corpus_tools.tsv: packets no rule can classify)."""
        n = self.n[ctype]
        n["labelled"] += 1
        got = [r[field] for r in rows]
        wrong = [r for r in rows if r[field] not in accept and r[field] != ""]
        if wrong:
            n["false"] += 1
            self.false[ctype].append((cap, src, frames(wrong), "%s = %s, label: %s (%s)" %
                                      (field, wrong[0][field], " or ".join(sorted(accept)) or "none", why)))
        elif accept == {""}:
            n["rejected"] += 1
        elif sum(g not in accept for g in got) <= may_miss:
            n["hit"] += 1
        else:
            n["miss"] += 1


def frames(rows, most=5):
    nums = [r["frame.number"] for r in rows]
    return ",".join(nums[:most]) + (" (+%d)" % (len(nums) - most) if len(nums) > most else "")


def src_of(r):
    return r["ip.src"] or r["ipv6.src"]


def build(T, corpus_dir):
    import test_corpus_os
    import test_corpus_tools
    import test_recorded

    dumps = {}

    def rows_of(cap, flt=None):
        own = os.path.join(T.CAPTURES, cap)
        path = own if os.path.exists(own) else os.path.join(corpus_dir, cap)
        if not os.path.exists(path):
            return None
        key = (path, flt)
        if key not in dumps:
            dumps[key] = T.fields(path, FIELDS, two_pass=True, display_filter=flt)
        return dumps[key]

    led = Ledger()
    skipped = set()

    def by_source(rows, src):
        return [r for r in rows if src in (r["ip.src"], r["ipv6.src"])]

    # OS family on SYNs, from the corpus labels and the recorded stacks
    for cap, src, fam, why in test_corpus_os.load_truth():
        rows = rows_of(cap, "tcp.flags.syn==1 && tcp.flags.ack==0")
        if rows is None:
            skipped.add(cap)
            continue
        led.value("OS family", cap, src, by_source(rows, src), "ddi.os.family", {fam}, why)
    man = test_recorded.manifest()
    for src, (cap, exp) in sorted(man.items()):
        rows = by_source(rows_of(cap), src)
        syns = [r for r in rows if r["tcp.flags"] == SYN]
        why = "recorded (captures/record/MANIFEST.tsv)"
        if "os" in exp and "backscatter" not in exp and syns:
            led.value("OS family", cap, src, syns, "ddi.os.family", {exp["os"]}, why)
        tool = exp.get("tool")
        if tool and tool not in ("none", "nmap-sT"):
            led.value("tool", cap, src, rows, "ddi.tool", test_recorded.TOOL_NAMES[tool], why)
        elif tool or "os" in exp:  # kernel stacks and connect() scans: no tool
            led.value("tool", cap, src, rows, "ddi.tool", {""}, why)
        for key in ("nat", "pppoe"):
            if key in exp and syns:
                ctype, field = CLAIM_FIELD[key]
                led.yes_no(ctype, cap, src, syns, field, exp[key] == "yes", why)
        if "backscatter" in exp:
            led.value("backscatter", cap, src, rows, "ddi.backscatter",
                      {test_recorded.BACKSCATTER[exp["backscatter"]]}, why)

    # scanner tools on the corpus, per source and packet kind
    for cap, src, kind, expect, maxu, why in test_corpus_tools.load():
        rows = rows_of(cap)
        if rows is None:
            skipped.add(cap)
            continue
        sel = [r for r in rows if r["ip.src"] == src and test_corpus_tools.kind_matches(kind, r)]
        led.value("tool", cap, "%s %s" % (src, kind), sel, "ddi.tool", {"" if expect == "-" else expect}, why,
                  maxu)

    # IP-ID rate: the published estimate (labelled), then every rate shown on every capture
    # against the sender's whole-span average (tests/integration/test_ipid_rate.py's check)
    rows = rows_of("seed-conficker.pcapng")
    if rows is not None:
        seed = [r for r in by_source(rows, "114.124.162.72") if r["ddi.ipid.rate"]]
        n = led.n["IP-ID rate"]
        n["labelled"] += 1
        if seed and all(PUBLISHED_RATE / 3 <= float(r["ddi.ipid.rate"]) <= PUBLISHED_RATE * 3 for r in seed):
            n["hit"] += 1
        else:
            n["miss"] += 1
    import test_ipid_rate
    for cap in test_ipid_rate.all_captures():
        chk = test_ipid_rate.Checker(os.path.basename(cap))
        for r in test_ipid_rate.rows_of(cap, two_pass=True):
            chk.row(r)
        led.n["IP-ID rate"]["rates shown"] += chk.rates
        for p in chk.problems:
            led.n["IP-ID rate"]["false"] += 1
            led.false["IP-ID rate"].append((os.path.basename(cap), "-", "-", p))

    # yes/no claims of corpus_claims.tsv
    for line in open(CLAIMS):
        if not line.strip() or line.startswith("#"):
            continue
        cap, src, claim, expected, flt, why = line.rstrip("\n").split("\t")
        rows = rows_of(cap, None if flt == "-" else flt)
        if rows is None:
            skipped.add(cap)
            continue
        ctype, field = CLAIM_FIELD[claim]
        if src == "*":
            groups = collections.OrderedDict()
            for r in rows:
                groups.setdefault(src_of(r), []).append(r)
        else:
            groups = {src: by_source(rows, src)}
        for s, rs in groups.items():
            led.yes_no(ctype, cap, s, rs, field, expected == "yes", why)
    return led, sorted(skipped)


def render(led, skipped, tshark_version):
    out = ["# Accuracy ledger", "",
           "Made by `scripts/accuracy.py` (do not edit by hand); `tests/integration/test_accuracy.py`",
           "regenerates it and fails when a figure changes. Labels come from the captures' origins",
           "(`tests/data/corpus_os.tsv`, `corpus_tools.tsv`, `corpus_claims.tsv`,",
           "`captures/record/MANIFEST.tsv`), never from ddi's output. A source counts once per label row",
           "(a `*` row: once per source it covers). Two-pass tshark (`-2`), %s." % tshark_version, "",
           "- **hit**: labelled yes (or a value) and ddi claimed exactly that;",
           "- **miss**: labelled yes (or a value) and ddi said nothing on some or all of its packets;",
           "- **rejected**: labelled no and ddi claimed nothing (a correct silence);",
           "- **false**: ddi claimed what the label denies, or another value: each is listed below.", "",
           "| claim | labelled | hit | miss | rejected | false |", "|---|---|---|---|---|---|"]
    for c in ORDER:
        n = led.n[c]
        out.append("| %s | %d | %d | %d | %d | %d |" % (c, n["labelled"], n["hit"], n["miss"], n["rejected"],
                                                        n["false"]))
    out += ["", "IP-ID rate: the labelled source is the seed (published ~%g packets/s; a hit within 3x);" % PUBLISHED_RATE,
            "beyond it, every one of the %d rates shown on every capture is checked against the sender's"
            % led.n["IP-ID rate"]["rates shown"],
            "whole-span average up to that packet, and each one off by more than 3x counts as false.",
            "", "## False claims", ""]
    if not any(led.false.values()):
        out.append("None.")
    for c in ORDER:
        if led.false[c]:
            out += ["### %s" % c, "", "| capture | source | frames | what was claimed |", "|---|---|---|---|"]
            out += ["| %s | %s | %s | %s |" % row for row in led.false[c]]
            out.append("")
    if skipped:
        out += ["", "Not evaluated (capture not found): " + ", ".join(skipped)]
    return "\n".join(out).rstrip() + "\n"


def figures(text):
    """The lines a test compares: the table and the false claims (not the prose)."""
    return [l for l in text.splitlines() if l.startswith("|")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(SOURCE, "build"))
    ap.add_argument("--corpus", default=os.path.join(SOURCE, "..", "shared", "captures"))
    ap.add_argument("--out", default=os.path.join(SOURCE, "docs", "accuracy.md"))
    a = ap.parse_args()
    os.environ["DDI_BUILD_DIR"] = os.path.abspath(a.build)
    os.environ["DDI_CORPUS"] = os.path.abspath(a.corpus)
    import ddi_tshark as T
    T.require_plugin(None)
    led, skipped = build(T, a.corpus)
    text = render(led, skipped, T.tshark_version() if hasattr(T, "tshark_version") else "tshark")
    with open(a.out, "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
