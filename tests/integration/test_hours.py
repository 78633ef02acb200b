"""Shards x hours (scripts/shard.sh --hours) gives the single-process report
of the merged capture, key by key.

A day of hourly files (bench/gen_darknet --hours 24 --hourly, a few thousand
packets) is split by source into shards; the shards run in parallel and the
hours of one shard in order with ddi's state carried from each hour to the
next.  The merged per-source JSON must equal the report of one run over the
whole day (the generator writes the same packets as one file too), with
tshark + the plugin and with ddi-read, also when the day is fed one run at a
time, and on corpus captures cut into pieces with editcap.  The generated day
has a Conficker-style host whose retry is the last packet of one hour and
whose silence is in the next: that hour alone says "undetermined", the
series says "yes".  With eviction, a source's line is frozen when it leaves
the state: only the reasons that quote the time to the capture's end may
differ, and a source that comes back gets one line per stretch of activity.

The state options are the statefile helper's (ddi.state_in/--state-in): an
engine without them is skipped with a clear message.  DDI_READER names
another ddi-read to test (default: the build tree's).
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

SHARD = os.path.join(T.SOURCE, "scripts", "shard.sh")
GEN_SRC = os.path.join(T.SOURCE, "bench", "gen_darknet.c")
READER = os.environ.get("DDI_READER") or os.path.join(T.BUILD, "ddi-read")
HOURS = 24
BOUNDARY_HOUR = HOURS // 2  # gen_darknet puts its boundary Conficker host before this hour

# the reasons that quote how long before the capture's end something was seen
CAPTURE_END_REASONS = {"sender_reason", "conficker_reason"}


def src_lines(text):
    return [l for l in text.splitlines() if l.startswith("{") and "src" in json.loads(l)]


def by_src(lines):
    return sorted(lines, key=lambda l: json.loads(l)["src"])


def reader_has_state():
    if not os.access(READER, os.X_OK):
        return False
    p = subprocess.run([READER, "--help"], capture_output=True, text=True)
    return "--state-in" in p.stdout + p.stderr


def plugin_has_state():
    out, _ = T.tshark(["-G", "defaultprefs"], own_db=None)
    return re.search(r"^#ddi\.state_in:", out, re.M) is not None


class Hours(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("parallel"):
            raise unittest.SkipTest("GNU parallel is not installed: shards x hours not tested")
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise unittest.SkipTest("no C compiler: the generated day cannot be made")
        cls.tmp = tempfile.mkdtemp(prefix="ddi-hours-")
        os.chmod(cls.tmp, 0o755)  # tshark runs as nobody when the tests run as root
        gen = os.path.join(cls.tmp, "gen_darknet")
        subprocess.run([cc, "-std=c11", "-O2", "-o", gen, GEN_SRC], check=True, timeout=120)
        args = ["--packets", "4000", "--sources", "400", "--seed", "3", "--hours", str(HOURS)]
        cls.day = os.path.join(cls.tmp, "day.pcap")
        p = subprocess.run([gen, cls.day] + args, check=True, timeout=120, capture_output=True, text=True)
        m = re.search(r"Conficker host across the hour \d+ boundary: (\S+)", p.stderr)
        cls.boundary_host = m.group(1) if m else None
        subprocess.run([gen, cls.day, "--hourly", "--quiet"] + args, check=True, timeout=120)
        cls.hours = [os.path.join(cls.tmp, "day-%02d.pcap" % h) for h in range(HOURS)]
        for f in [cls.day] + cls.hours:
            os.chmod(f, 0o644)
        cls.reader_ok = reader_has_state()
        cls.plugin_ok = T.plugin_loaded() and plugin_has_state()
        cls._single = {}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -------------------------------------------------------------- helpers
    def need(self, engine):
        if engine == "reader" and not self.reader_ok:
            self.skipTest("%s has no --state-in (ddi state files not built): reader engine not tested" % READER)
        if engine == "tshark" and not self.plugin_ok:
            self.skipTest("the ddi plugin in %s has no ddi.state_in preference (or did not load): tshark engine "
                          "not tested" % T.BUILD)

    def single(self, engine, capture):
        """The single-process per-source lines of CAPTURE, sorted by src."""
        key = (engine, capture)
        if key not in self._single:
            if engine == "tshark":
                out, _ = T.tshark(["-r", capture, "-q", "-z", "ddi,sources,json"])
            else:
                out = subprocess.run([READER, "-q", "--own-db", T.OWN_DB, capture], check=True, capture_output=True,
                                     text=True, timeout=600).stdout
            self._single[key] = by_src(src_lines(out))
        return self._single[key]

    def series(self, engine, files, n, outdir=None, options=(), expect_rc=0):
        """shard.sh --hours over FILES; the lines of OUTDIR/sources.jsonl."""
        if outdir is None:
            outdir = tempfile.mkdtemp(dir=self.tmp)
            os.chmod(outdir, 0o755)
        env = dict(os.environ, DDI_BUILD_DIR=T.STAGED_BUILD, DDI_JOBS="2", DDI_READER=READER,
                   DDI_TSHARK_OPTS="-o ddi.own_db:" + T.OWN_DB, DDI_READER_OPTS="--own-db " + T.OWN_DB)
        p = subprocess.run(["bash", SHARD, "--engine", engine] + list(options) + ["--hours", str(n), outdir] + files,
                           env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, expect_rc, "shard.sh --hours: rc %d\n%s" % (p.returncode, p.stderr))
        if expect_rc:
            return p.stderr
        with open(os.path.join(outdir, "sources.jsonl"), encoding="utf-8") as f:
            return f.read().splitlines()

    def assert_same(self, got, want, what):
        self.assertTrue(want, "%s: no sources in the single-process report" % what)
        self.assertEqual([json.loads(l)["src"] for l in got], [json.loads(l)["src"] for l in want],
                         "%s: not the same sources (or not sorted by src)" % what)
        for a, b in zip(got, want):
            ja, jb = json.loads(a), json.loads(b)
            diff = {k: (ja.get(k), jb.get(k)) for k in set(ja) | set(jb) if ja.get(k) != jb.get(k)}
            self.assertFalse(diff, "%s: %s differs from the single process (sharded, single): %s" %
                             (what, ja["src"], diff))
            self.assertEqual(a, b, "%s: %s: same keys and values, other text" % (what, ja["src"]))

    # -------------------------------------------------------------- the generated day
    def check_day(self, engine, n):
        self.need(engine)
        want = self.single(engine, self.day)
        got = self.series(engine, self.hours, n)
        self.assert_same(got, want, "%s, %d shards x %d hours" % (engine, n, HOURS))
        return got

    def test_day_reader(self):
        got = self.check_day("reader", 4)
        self.assertEqual(len(got), 400)
        self.assertIsNotNone(self.boundary_host, "gen_darknet named no boundary Conficker host")
        line = [json.loads(l) for l in got if json.loads(l)["src"] == self.boundary_host]
        self.assertEqual([l["conficker"] for l in line], ["yes"], "boundary host across hours")
        # its retry is the last thing of its hour: that hour alone cannot decide
        alone = [json.loads(l) for l in src_lines(subprocess.run(
            [READER, "-q", "--own-db", T.OWN_DB, self.hours[BOUNDARY_HOUR - 1]], check=True, capture_output=True,
            text=True).stdout)]
        self.assertEqual([l["conficker"] for l in alone if l["src"] == self.boundary_host], ["undetermined"])

    def test_day_tshark(self):
        got = self.check_day("tshark", 2)  # 48 tshark runs: tshark starts slowly
        line = [json.loads(l) for l in got if json.loads(l)["src"] == self.boundary_host]
        self.assertEqual([l["conficker"] for l in line], ["yes"])

    def test_hour_by_hour(self):
        """One run an hour (as an operator's cron job runs it) gives the same
        as one run over the day; an hour run twice is refused."""
        self.need("reader")
        out = tempfile.mkdtemp(dir=self.tmp)
        os.chmod(out, 0o755)
        self.series("reader", self.hours[:BOUNDARY_HOUR], 3, outdir=out)
        # a missing hour (the next file starts more than --state-max-gap, an
        # hour by default, after the state ends) or a file out of order:
        # refused before anything runs, OUTDIR left as it was
        state = os.path.join(out, "state")

        def states():
            got = {}
            for f in os.listdir(state):
                with open(os.path.join(state, f), "rb") as g:
                    got[f] = g.read()
            return got

        before = states()
        err = self.series("reader", [self.hours[BOUNDARY_HOUR + 1]], 3, outdir=out, expect_rc=2)
        self.assertIn("more than --state-max-gap 3600 s: a file is missing", err)
        err = self.series("reader", self.hours[BOUNDARY_HOUR + 1:BOUNDARY_HOUR - 1:-1], 3, outdir=out,
                          options=["--state-max-gap", "0"], expect_rc=2)
        self.assertIn("not in time order", err)
        self.assertEqual(states(), before)
        for h in self.hours[BOUNDARY_HOUR:]:
            got = self.series("reader", [h], 3, outdir=out)
        self.assert_same(got, self.single("reader", self.day), "hour by hour")
        err = self.series("reader", [self.hours[-1]], 3, outdir=out, expect_rc=2)
        self.assertIn("already analysed", err)
        err = self.series("reader", [self.hours[-1]], 4, outdir=out, expect_rc=2)
        self.assertIn("state of 3 shards", err)

    def test_eviction(self):
        self.need("reader")
        idle = 7200
        got = [json.loads(l) for l in self.series("reader", self.hours, 3, options=["--evict-idle", str(idle)])]
        want = {json.loads(l)["src"]: json.loads(l) for l in self.single("reader", self.day)}
        stretches = collections.defaultdict(list)
        for row in got:
            stretches[row["src"]].append(row)
        self.assertEqual(set(stretches), set(want), "eviction lost or invented sources")
        back = [s for s, rows in stretches.items() if len(rows) > 1]
        # gen_darknet makes sources pause for 2 hours or more: some come back
        self.assertTrue(back, "no source came back after eviction: the test proves nothing")
        for src, rows in stretches.items():
            w = want[src]
            if len(rows) == 1:
                diff = {k for k in w if rows[0].get(k) != w[k]} - CAPTURE_END_REASONS
                self.assertFalse(diff, "%s (evicted once or never): %s differ" % (src, sorted(diff)))
                continue
            self.assertEqual(rows[0]["first_seen"], w["first_seen"], src)
            self.assertEqual(rows[-1]["last_seen"], w["last_seen"], src)
            self.assertEqual(sum(r["packets"] for r in rows), w["packets"], src)
            for a, b in zip(rows, rows[1:]):  # a stretch starts after the previous one went idle
                self.assertGreater(b["first_seen"] - a["last_seen"], idle, src)

    # -------------------------------------------------------------- corpus captures cut into pieces
    # time-ordered captures with many sources and a whole-capture verdict to
    # carry (the seed's Conficker-style retry, SYN retries of a scan)
    PIECES = [("seed-conficker.pcapng", 20), ("ndpi__synscan.pcap", 5), ("stopddos__pkt.TCP.synflood.spoofed.pcap", 6),
              ("sv__bug-4376_syn_retransmit_with_ts.pcap", 1)]

    def cut(self, capture, seconds):
        d = tempfile.mkdtemp(dir=self.tmp)
        os.chmod(d, 0o755)
        ext = ".pcapng" if capture.endswith(".pcapng") else ".pcap"
        subprocess.run(["editcap", "-F", ext[1:], "-i", str(seconds), capture, os.path.join(d, "piece" + ext)],
                       check=True, capture_output=True, timeout=120)
        pieces = sorted(os.path.join(d, f) for f in os.listdir(d))
        for f in pieces:
            os.chmod(f, 0o644)
        return pieces

    def check_pieces(self, engine, n):
        self.need(engine)
        if not shutil.which("editcap"):
            self.skipTest("editcap not installed: corpus pieces not tested")
        tested = 0
        for name, seconds in self.PIECES:
            cap = os.path.join(T.CAPTURES, name)
            if not os.path.exists(cap):
                if not os.path.isdir(T.CORPUS):
                    continue  # skipped below, clearly, when nothing of the corpus is there
                cap = T.corpus(name)
            with self.subTest(capture=name):
                pieces = self.cut(cap, seconds)
                self.assertGreater(len(pieces), 1, "%s was not cut" % name)
                self.assert_same(self.series(engine, pieces, n), self.single(engine, cap),
                                 "%s in %d pieces (%s)" % (name, len(pieces), engine))
                tested += 1
        if not os.path.isdir(T.CORPUS):
            self.skipTest("corpus folder %s not found: only the bundled capture was cut" % T.CORPUS_SOURCE)
        self.assertEqual(tested, len(self.PIECES))

    def test_pieces_reader(self):
        self.check_pieces("reader", 3)

    def test_pieces_tshark(self):
        self.check_pieces("tshark", 2)


if __name__ == "__main__":
    T.main()
