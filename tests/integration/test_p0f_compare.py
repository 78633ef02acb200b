"""ddi against p0f 3.09b itself, SYN by SYN: the raw signature must be the
same text, and wherever p0f names an OS, ddi's OS family must agree — unless
the disagreement is listed, with its reason, in tests/data/p0f_disagreements.tsv.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import ddi_tshark as T

DISAGREE = os.path.join(T.SOURCE, "tests", "data", "p0f_disagreements.tsv")
SYN = "tcp.flags.syn==1 && tcp.flags.ack==0"


def family_of_p0f(label):
    for key, fam in (("Windows", "Windows"), ("Linux", "Linux"), ("Android", "Linux"), ("Mac OS", "macOS/iOS"),
                     ("MacOS", "macOS/iOS"), ("iOS", "macOS/iOS"), ("FreeBSD", "FreeBSD"), ("OpenBSD", "OpenBSD"),
                     ("Solaris", "Solaris")):
        if key in label:
            return fam
    return "other"


def p0f_syns(capture):
    """(client ip, client port, label or None, raw_sig) for every SYN p0f logs."""
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "p0f.log")
        subprocess.run(["p0f", "-r", capture, "-o", log], capture_output=True, timeout=300)
        out = []
        if not os.path.exists(log):
            return out
        for line in open(log, errors="replace"):
            if "mod=syn|" not in line:
                continue
            kv = dict(part.split("=", 1) for part in line.split("] ", 1)[1].strip().split("|") if "=" in part)
            ip, port = kv["cli"].rsplit("/", 1)
            label = kv.get("os")
            out.append((ip, port, None if label in (None, "???") else label, kv.get("raw_sig", "")))
        return out


def captures():
    caps = sorted(glob.glob(os.path.join(T.CAPTURES, "*.pcapng")))
    if os.path.isdir(T.CORPUS):
        caps += sorted(p for p in glob.glob(os.path.join(T.CORPUS, "*.pcap*")))
    return caps


class P0fOracle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        if not shutil.which("p0f"):
            raise unittest.SkipTest("p0f not installed: comparison skipped")
        if not os.path.isdir(T.CORPUS):
            print("corpus %s not found: comparing on the project's own captures only" % T.CORPUS)
        cls.allowed = set()
        for line in open(DISAGREE):
            if line.strip() and not line.startswith("#"):
                cap, ip, label, answer, _reason = line.rstrip("\n").split("\t")
                cls.allowed.add((cap, ip, label, answer))

    def test_agreement(self):
        compared = named = 0
        for cap in captures():
            ref = p0f_syns(cap)
            if not ref:
                continue
            rows = T.fields(cap, ["ip.src", "ipv6.src", "tcp.srcport", "ddi.os.sig", "ddi.os.family", "ddi.tool"],
                            display_filter=SYN)
            mine = {}
            for r in rows:
                key = (r["ip.src"] or r["ipv6.src"], r["tcp.srcport"])
                mine.setdefault(key, []).append(r)
            name = os.path.basename(cap)
            for ip, port, label, raw in ref:
                cands = mine.get((ip, port), [])
                if not cands:
                    continue  # p0f saw a SYN ddi analysed inside a tunnel or not at all
                with self.subTest(capture=name, client="%s/%s" % (ip, port)):
                    sigs = {r["ddi.os.sig"] for r in cands}
                    if cands[0]["ddi.os.sig"]:
                        self.assertIn(raw, sigs, "raw_sig differs from p0f's")
                    compared += 1
                    if label is None:
                        continue
                    named += 1
                    # ddi's answer: the OS family, or the tool when it names one
                    # (a SYN ddi attributes to a tool gets no OS signature at all)
                    answers = {("tool:" + r["ddi.tool"]) if r["ddi.tool"] else r["ddi.os.family"]
                               for r in cands if r["ddi.os.sig"] in (raw, "")}
                    joined = "|".join(sorted(answers))
                    if {(name, ip, label, joined), (name, "*", label, joined)} & self.allowed:
                        continue
                    self.assertEqual(answers, {family_of_p0f(label)}, "p0f says %r" % label)
        self.assertGreater(compared, 20)
        self.assertGreater(named, 10)


if __name__ == "__main__":
    T.main()
