"""Per-packet output does not depend on whole-source records (state.h).

A source's record is split in two: what any per-packet field, expert item
or per-packet verdict reads, and what only whole-source readers read (the
per-source report of `-z ddi,sources`, the GUI's Statistics menu, state
files).  The glue keeps the second part only where such a reader can run
(packet-ddi.c, whole_source_read), so `tshark -T fields` without a ddi tap
drops it.  Every ddi field and expert message must then be what it is with
the records kept: this runs the same `-T fields` command with and without
`-z ddi,sources` and compares every frame, on the repository's captures,
the shared corpus and a generated telescope capture.  The info log (`--log-level info`) says
which way each run went, so the comparison cannot pass by keeping both.
"""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest
import concurrent.futures

import ddi_tshark as T

GEN_SRC = os.path.join(T.SOURCE, "bench", "gen_darknet.c")
EXPERT = ["_ws.expert.message", "_ws.expert.severity"]
SEP = "\x1f"


def ddi_fields():
    out, _ = T.tshark(["-G", "fields"], own_db=None)
    return sorted({ln.split("\t")[2] for ln in out.splitlines()
                   if ln.startswith("F\t") and ln.split("\t")[2].startswith("ddi.")})


def run(path, names, tap):
    """frame number -> values, and whether whole-source records were kept."""
    args = ["--log-level", "info", "-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
            "-E", "aggregator=" + SEP, "-e", "frame.number"]
    for n in names:
        args += ["-e", n]
    if tap:
        args += ["-z", "ddi,sources"]
    out, err = T.tshark(args)
    rows = {}
    for line in out.splitlines():
        if not line or line.startswith("="):  # the report follows the packets, after an empty line
            break
        vals = line.split("\t")
        vals += [""] * (len(names) + 1 - len(vals))
        rows[vals[0]] = vals[1:]
    kept = "whole-source records kept" in err
    not_kept = "whole-source records not kept" in err
    if kept == not_kept:
        raise AssertionError("%s: the info log does not say whether whole-source records were kept:\n%s" %
                             (path, err[-2000:]))
    return rows, kept


class PerPacketOutputWithoutWholeSourceRecords(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        cls.names = ddi_fields() + EXPERT
        if len(cls.names) < 30:
            raise AssertionError("too few ddi fields registered: %s" % cls.names)
        cls.tmp = tempfile.mkdtemp(prefix="ddi-whole-")
        os.chmod(cls.tmp, 0o755)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def compare(self, paths):
        def one(path):
            return path, run(path, self.names, False), run(path, self.names, True)

        analysed = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            for path, (a, kept_a), (b, kept_b) in ex.map(one, paths):
                rel = os.path.relpath(path)
                with self.subTest(capture=rel):
                    self.assertFalse(kept_a, "%s: records kept without a reader" % rel)
                    self.assertTrue(kept_b, "%s: records dropped for -z ddi,sources" % rel)
                    self.assertEqual(sorted(a), sorted(b), "%s: different frames" % rel)
                    diffs = [(f, self.names[i], a[f][i], b[f][i]) for f in a for i in range(len(self.names))
                             if a[f][i] != b[f][i]]
                    self.assertEqual(diffs[:5], [], "%s: %d differences (frame, field, without, with records)" %
                                     (rel, len(diffs)))
                analysed += sum(1 for r in a.values() if any(r))
        return analysed

    def test_repository_captures(self):
        paths = sorted(glob.glob(os.path.join(T.CAPTURES, "*.pcapng")))
        self.assertGreater(self.compare(paths), 50)

    def test_shared_corpus(self):
        paths = sorted(glob.glob(os.path.join(T.CORPUS, "**", "*.pcap*"), recursive=True))
        if not paths:
            self.skipTest("no corpus in %s" % T.CORPUS_SOURCE)
        self.assertGreater(self.compare(paths), 1000)

    def test_generated_captures(self):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            self.skipTest("no C compiler: generated captures not tested")
        gen = os.path.join(self.tmp, "gen_darknet")
        subprocess.run([cc, "-std=c11", "-O2", "-o", gen, GEN_SRC], check=True, timeout=120)
        caps = []
        # the mixed telescope traffic (backscatter, UDP, Conficker-like
        # retries, NAT) and the SYN-only scan of the memory benchmark
        for name, extra in [("mixed", []), ("syn", ["--syn-only"])]:
            cap = os.path.join(self.tmp, name + ".pcap")
            subprocess.run([gen, cap, "--packets", "20000", "--sources", "3000", "--seed", "7", "--quiet"] + extra,
                           check=True, timeout=120)
            os.chmod(cap, 0o644)
            caps.append(cap)
        self.assertGreater(self.compare(caps), 30000)


if __name__ == "__main__":
    T.main()
