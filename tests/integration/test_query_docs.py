"""The query-engine commands of docs/hourly.md run on a real ddi report.

The sqlite3 blocks (marked `-- sqlite: NAME`) and the jq converter for
Elasticsearch's _bulk API (marked `# es: bulk`) are taken from the page
itself and run on the per-source JSON lines of a generated multi-hour capture
(and the corpus's spoofed SYN flood when present); their answers are checked
against the same question asked in Python of the same lines.  This pins the
JSON shape the page relies on (key names, value types and spellings).  The
DuckDB, Spark and Elasticsearch queries are not run: those engines are not
installed here, as the page says.
"""
import collections
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import ddi_tshark as T

DOC = os.path.join(T.SOURCE, "docs", "hourly.md")
GEN_SRC = os.path.join(T.SOURCE, "bench", "gen_darknet.c")
READER = os.path.join(T.BUILD, "ddi-read")


def doc_blocks():
    """{name: text} of the marked fenced blocks of docs/hourly.md."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    blocks = {}
    for body in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S):
        m = re.match(r"(?:-- sqlite|# es): (\S+)\n", body)
        if m:
            blocks[m.group(1)] = body
    return blocks


def report_lines(capture):
    """Per-source JSON lines of CAPTURE, from ddi-read or else tshark."""
    if os.access(READER, os.X_OK):
        out = subprocess.run([READER, "-q", "--own-db", T.OWN_DB, capture], check=True, capture_output=True,
                             text=True, timeout=600).stdout
    else:
        out, _ = T.tshark(["-r", capture, "-q", "-z", "ddi,sources,json"])
    return [l for l in out.splitlines() if l.startswith("{") and "src" in json.loads(l)]


class QueryDocs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("sqlite3"):
            raise unittest.SkipTest("sqlite3 is not installed: the documented queries are not run")
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise unittest.SkipTest("no C compiler: the generated capture cannot be made")
        cls.tmp = tempfile.mkdtemp(prefix="ddi-query-")
        os.chmod(cls.tmp, 0o755)
        gen = os.path.join(cls.tmp, "gen_darknet")
        subprocess.run([cc, "-std=c11", "-O2", "-o", gen, GEN_SRC], check=True, timeout=120)
        cap = os.path.join(cls.tmp, "day.pcap")
        subprocess.run([gen, cap, "--packets", "6000", "--sources", "600", "--seed", "5", "--hours", "6", "--quiet"],
                       check=True, timeout=120)
        os.chmod(cap, 0o644)
        lines = report_lines(cap)
        spoofed = os.path.join(T.CORPUS, "stopddos__pkt.TCP.synflood.spoofed.pcap")
        if os.path.exists(spoofed):
            lines += report_lines(spoofed)
        cls.rows = [json.loads(l) for l in lines]
        with open(os.path.join(cls.tmp, "sources.jsonl"), "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in lines))
        cls.blocks = doc_blocks()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def sqlite(self, *names):
        sql = "".join(self.blocks[n] for n in ("load",) + names)
        p = subprocess.run(["sqlite3", ":memory:"], input=sql, cwd=self.tmp, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, "sqlite3 failed on the documented query:\n%s\n%s" % (sql, p.stderr))
        self.assertEqual(p.stderr, "")
        return [line.split("|") for line in p.stdout.splitlines()]

    def test_blocks_present(self):
        self.assertEqual(sorted(self.blocks), ["bulk", "conficker-per-24", "load", "spoof"])

    def test_load(self):
        p = subprocess.run(["sqlite3", ":memory:"], input=self.blocks["load"] + "SELECT count(*) FROM sources;",
                           cwd=self.tmp, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.stdout.strip(), str(len(self.rows)), p.stderr)

    def test_conficker_per_24(self):
        got = self.sqlite("conficker-per-24")
        nets = collections.defaultdict(lambda: [0, 0])
        for r in self.rows:
            if r["conficker"] == "yes" and ":" not in r["src"]:
                n = nets[r["src"].rsplit(".", 1)[0] + ".0/24"]
                n[0] += 1
                n[1] += r["packets"]
        want = sorted(([k, str(c), str(p)] for k, (c, p) in nets.items()), key=lambda x: (-int(x[1]), -int(x[2]), x[0]))
        self.assertTrue(want, "no Conficker-style source in the report: the query is not exercised")
        self.assertEqual(got, want[:10])

    def test_spoof(self):
        if "spoof" not in self.rows[0]:
            self.skipTest("the report has no \"spoof\" key yet (the features helper's per-source keys): "
                          "the spoof query is not checked")
        got = self.sqlite("spoof")
        agg = collections.defaultdict(lambda: [0, 0])
        for r in self.rows:
            self.assertIn(r["spoof"], ("likely", "possible", "unlikely"))
            agg[r["spoof"]][0] += 1
            agg[r["spoof"]][1] += r["packets"]
        want = sorted(([k, str(c), str(p)] for k, (c, p) in agg.items()), key=lambda x: (-int(x[1]), x[0]))
        self.assertEqual(got, want)

    def test_es_bulk(self):
        if not shutil.which("jq"):
            self.skipTest("jq is not installed: the _bulk converter is not run")
        subprocess.run(["bash", "-euo", "pipefail", "-c", self.blocks["bulk"]], cwd=self.tmp, check=True, timeout=120)
        with open(os.path.join(self.tmp, "sources.jsonl"), encoding="utf-8") as f:
            docs = f.read().splitlines()
        with open(os.path.join(self.tmp, "sources.bulk"), encoding="utf-8") as f:
            bulk = f.read().splitlines()
        self.assertEqual(bulk[1::2], docs, "documents must reach Elasticsearch unchanged")
        ids = set()
        for action, doc in zip(bulk[::2], bulk[1::2]):
            a = json.loads(action)
            self.assertEqual(set(a), {"index"})
            self.assertEqual(a["index"]["_index"], "ddi-sources")
            d = json.loads(doc)
            self.assertTrue(a["index"]["_id"].startswith(d["src"] + "@"))
            ids.add(a["index"]["_id"])
        self.assertEqual(len(ids), len(docs), "_id must tell every line apart")


if __name__ == "__main__":
    T.main()
