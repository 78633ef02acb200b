"""State carried across capture files (plugin/core/statefile.c), through the
batch reader (ddi-read --state-in/--state-out) and the plugin
(-o ddi.state_in / ddi.state_out).

A capture split in two at a time (editcap -B / -A) and analysed as hour 1,
then hour 2 with hour 1's state, must give what the two hours merged
(mergecap) give: the same per-source JSON, and on every packet of hour 2 the
same ddi.* fields, except what names a frame number (frame numbers start at 1
again in every file: ddi.twoway_frame-like values and the "since frame N"
clause).  Bad state files give one message naming the file and the reason,
and the analysis goes on from empty state; a failed write leaves the old file.
"""
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import tempfile
import unittest

import ddi_tshark as d

READER = os.path.join(d.BUILD, "ddi-read")
SEED = "seed-conficker.pcapng"
# a small, a multi-source, a two-way and a large one of each path
READER_CAPTURES = [("captures", SEED), ("captures", "netns-scanners.pcapng"), ("captures", "netns-backscatter.pcapng"),
                   ("captures", "ipid-classes.pcapng"), ("corpus", "probing__nmap.pcapng"),
                   ("corpus", "stopddos__pkt.TCP.synflood.spoofed.pcap"), ("corpus", "arkime__v6.pcap"),
                   ("corpus", "zeek__mixed-vlan-mpls.pcap"), ("corpus", "ndpi__synscan.pcap")]


def capture_path(where, name):
    base = d.CAPTURES if where == "captures" else d.CORPUS
    return os.path.join(base, name)


def reader(args, check=True, **kw):
    cmd = [READER, "--own-db", d.OWN_DB] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    if check and p.returncode != 0:
        raise AssertionError("ddi-read failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    return p


class Time(float):
    """A packet time as tshark prints it (nanoseconds: a double cannot hold
    them at today's epoch, and a rounded split time could move a packet)."""

    def __new__(cls, text):
        t = super().__new__(cls, text)
        t.text = text
        return t


def times(path):
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.time_epoch"], capture_output=True,
                         text=True, check=True).stdout
    return [Time(t) for t in out.split()]


def gap_split_time(t):
    """A split time in the middle half of the capture where it has a gap
    (so hour 1 ends strictly before hour 2 begins), and that gap."""
    n = len(t)
    i = max(range(n // 4, max(n // 4 + 1, 3 * n // 4)), key=lambda k: t[k + 1] - t[k])
    return t[i + 1], t[i + 1] - t[i]


def split(path, at, outdir):
    """Hour 1 (before `at`), hour 2 (from `at` on), their merge, and the
    number of frames in hour 1."""
    a, b, m = (os.path.join(outdir, n + ".pcapng") for n in ("h1", "h2", "merged"))
    t = at.text if isinstance(at, Time) else "%.9f" % at
    subprocess.run(["editcap", "-B", t, path, a], check=True, capture_output=True)
    subprocess.run(["editcap", "-A", t, path, b], check=True, capture_output=True)
    subprocess.run(["mergecap", "-w", m, a, b], check=True, capture_output=True)
    n1 = len(times(a))
    for f in (a, b, m):
        os.chmod(f, 0o644)
    return a, b, m, n1


def source_lines(out):
    return [l for l in out.splitlines() if l.startswith("{") and '"capture"' not in l[:12]]


def capture_line(out):
    return json.loads(next(l for l in out.splitlines() if l.startswith('{"capture"')))["capture"]


def checksum(data):
    """statefile.c's checksum (multiply-rotate over little-endian 8-byte words)."""
    m = (1 << 64) - 1

    def word(h, w):
        h ^= (w * 0xbf58476d1ce4e5b9) & m
        h = ((((h << 27) | (h >> 37)) & m) * 0x94d049bb133111eb + 0x2545f4914f6cdd1d) & m
        return h

    h = 0x9e3779b97f4a7c15
    n = len(data) // 8
    for i in range(n):
        h = word(h, int.from_bytes(data[8 * i:8 * i + 8], "little"))
    tail = data[8 * n:]
    h = word(h, int.from_bytes(tail + b"\0" * (8 - len(tail)), "little") ^ len(data))
    h ^= h >> 31
    return h or 1


HEADER_SUMMED = 176  # DDI_STATEFILE_HEADER_SUMMED


def reseal(data):
    return data[:HEADER_SUMMED] + struct.pack("<Q", checksum(data[:HEADER_SUMMED])) + data[HEADER_SUMMED + 8:]


class Workdir(unittest.TestCase):
    def setUp(self):
        # world-writable: tshark runs as nobody when the tests run as root
        self.dir = tempfile.mkdtemp(prefix="ddi-statefile-")
        os.chmod(self.dir, 0o777)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def p(self, name):
        return os.path.join(self.dir, name)


class ReaderCarriesState(Workdir):
    @classmethod
    def setUpClass(cls):
        if not os.access(READER, os.X_OK):
            raise unittest.SkipTest("ddi-read is not built")

    def split_equals_merged(self, path):
        t = times(path)
        at = t[len(t) // 2]
        h1, h2, merged, n1 = split(path, at, self.dir)
        st = self.p("h1.state")
        reader(["-q", "--state-out", st, h1])
        whole = reader(["-q", merged]).stdout
        second = reader(["-q", "--state-in", st, h2])
        self.assertEqual(second.stderr, "")
        self.assertEqual(source_lines(second.stdout), source_lines(whole), path)
        self.assertGreater(len(source_lines(whole)), 0)
        cap = capture_line(second.stdout)
        self.assertEqual(cap["state_in"], st)
        self.assertIsNone(cap["state_error"])
        for k in ("first_seen", "last_seen", "packets", "sources", "two_way", "two_way_since", "answered_sources"):
            self.assertEqual(cap[k], capture_line(whole)[k], k)
        # every frame of hour 2: the verdict the merged capture gives it
        mv = {}
        for line in reader(["-q", "--verdicts", merged]).stdout.splitlines():
            num, rest = line.split("\t", 1)
            if int(num) > n1:
                mv[int(num) - n1] = rest
        sv = {}
        for line in reader(["-q", "--verdicts", "--state-in", st, h2]).stdout.splitlines():
            num, rest = line.split("\t", 1)
            sv[int(num)] = rest
        self.assertEqual(sv, mv, path)
        return whole

    def test_split_equals_merged(self):
        done = 0
        for where, name in READER_CAPTURES:
            path = capture_path(where, name)
            if not os.path.exists(path):
                continue
            with self.subTest(capture=name):
                self.split_equals_merged(path)
                done += 1
        self.assertGreaterEqual(done, 4)

    def test_conficker_retry_in_file_1_silence_in_file_2(self):
        """The seed's source: first SYN and its ~3 s retry before the split,
        the silence after it; decided only with the state carried."""
        h1, h2, merged, _ = split(os.path.join(d.CAPTURES, SEED), 1271757605.0, self.dir)
        st = self.p("h1.state")
        alone = {json.loads(l)["src"]: json.loads(l) for l in source_lines(reader(["-q", "--state-out", st, h1]).stdout)}
        self.assertEqual(alone["114.124.162.72"]["conficker"], "undetermined")
        self.assertEqual(alone["114.124.162.72"]["retransmissions"], 1)
        h2_alone = {json.loads(l)["src"] for l in source_lines(reader(["-q", h2]).stdout)}
        self.assertNotIn("114.124.162.72", h2_alone)  # nothing of it in hour 2
        carried = {json.loads(l)["src"]: json.loads(l) for l in source_lines(reader(["-q", "--state-in", st, h2]).stdout)}
        self.assertEqual(carried["114.124.162.72"]["conficker"], "yes")
        whole = {json.loads(l)["src"]: json.loads(l) for l in source_lines(reader(["-q", merged]).stdout)}
        self.assertEqual(carried, whole)

    # ---------------------------------------------------------------- bad files
    def bad(self, state, why, h2=None, extra=()):
        """One message naming the file and why; the run equals one without state."""
        h2 = h2 or self.h2
        run = reader(["-q", "--state-in", state] + list(extra) + [h2])
        lines = [l for l in run.stderr.splitlines() if l]
        self.assertEqual(len(lines), 1, run.stderr)
        self.assertIn("state file " + state + ": ", lines[0])
        self.assertIn(why, lines[0])
        self.assertIn("analysis starts from empty state", lines[0])
        fresh = reader(["-q", h2]).stdout
        self.assertEqual(source_lines(run.stdout), source_lines(fresh))
        cap = capture_line(run.stdout)
        self.assertEqual(cap["state_in"], state)
        self.assertIn(why, cap["state_error"])
        return run

    def make_states(self):
        path = os.path.join(d.CAPTURES, "netns-scanners.pcapng")
        at, self.gap = gap_split_time(times(path))
        self.assertGreater(self.gap, 0.001)
        self.h1, self.h2, self.merged, _ = split(path, at, self.dir)
        self.good = self.p("good.state")
        reader(["-q", "--state-out", self.good, self.h1])
        with open(self.good, "rb") as f:
            return f.read()

    def write(self, name, data):
        p = self.p(name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def test_bad_state_files(self):
        data = self.make_states()
        self.bad(self.p("missing.state"), "no such file")
        self.bad(self.write("empty.state", b""), "empty")
        self.bad(self.write("json.state", b'{"capture":{}}\n'), "not a ddi state file")
        self.bad(self.write("trunc-header.state", data[:100]), "truncated")
        self.bad(self.write("trunc.state", data[:len(data) // 2]), "truncated")
        flipped = bytearray(data)
        flipped[-5] ^= 0x40
        self.bad(self.write("corrupt.state", bytes(flipped)), "checksum mismatch")
        flipped = bytearray(data)
        flipped[72] ^= 0x01
        self.bad(self.write("corrupt-header.state", bytes(flipped)), "header checksum mismatch")
        layout = bytearray(data)
        layout[16:20] = struct.pack("<I", struct.unpack("<I", data[16:20])[0] + 1)
        self.bad(self.write("layout.state", reseal(bytes(layout))), "record layout")
        size = bytearray(data)
        size[56:60] = struct.pack("<I", struct.unpack("<I", data[56:60])[0] - 8)
        self.bad(self.write("size.state", reseal(bytes(size))), "record layout")
        version = bytearray(data)
        version[12:16] = struct.pack("<I", 99)
        self.bad(self.write("version.state", reseal(bytes(version))), "format version 99")

    def test_time_inconsistent(self):
        self.make_states()
        # hour 2's state read before hour 1: it ends after hour 1's first packet
        later = self.p("h2.state")
        reader(["-q", "--state-in", self.good, "--state-out", later, self.h2])
        self.bad(later, "after this capture's first packet", h2=self.h1)
        # the same file twice: the state ends at its own last packet
        self.bad(self.good, "after this capture's first packet", h2=self.h1)
        # a gap larger than allowed
        half = "%.3f" % (self.gap / 2)
        self.bad(self.good, "more than the state_max_gap of %s s" % half, extra=["--state-max-gap", half])
        ok = reader(["-q", "--state-in", self.good, "--state-max-gap", "%.3f" % (self.gap * 2), self.h2])
        self.assertEqual(ok.stderr, "")

    def test_failed_write_keeps_the_good_file(self):
        data = self.make_states()
        state_before = os.stat(self.good)

        def limit(kill):
            def f():
                resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
                signal.signal(signal.SIGXFSZ, signal.SIG_DFL if kill else signal.SIG_IGN)
            return f

        # the disk fills up: an error, the old file stays
        run = reader(["-q", "--state-out", self.good, self.merged], check=False, preexec_fn=limit(False))
        self.assertEqual(run.returncode, 1)
        self.assertIn("state file %s: writing failed" % self.good, run.stderr)
        self.assertIn("the old file is kept", run.stderr)
        # the process dies in the middle of the write (SIGXFSZ)
        run = reader(["-q", "--state-out", self.good, self.merged], check=False, preexec_fn=limit(True))
        self.assertEqual(run.returncode, -signal.SIGXFSZ)
        with open(self.good, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(os.stat(self.good).st_ino, state_before.st_ino)
        # and it is still good
        run = reader(["-q", "--state-in", self.good, self.h2])
        self.assertEqual(run.stderr, "")
        # the error path removes its temporary file; a killed run leaves one
        # (good.state.XXXXXX) that is never read
        leftovers = [n for n in os.listdir(self.dir) if n.startswith("good.state.")]
        self.assertLessEqual(len(leftovers), 1)

    def test_unreadable_input_writes_no_state(self):
        """An input that cannot be read whole (missing, not a capture, cut
        short) fails the run and writes no state: a state missing part of an
        hour would be carried into the next as if complete.  An older state
        file and the evicted-lines file stay as they were."""
        data = self.make_states()
        before = os.stat(self.good)
        with open(self.h2, "rb") as f:
            h2 = f.read()
        cases = [(self.p("no-such.pcap"), "No such file"),
                 (self.write("text.pcap", b"this is not a capture file\n" * 4), None),
                 (self.write("cut.pcapng", h2[:len(h2) - 7]), None)]
        for bad, why in cases:
            with self.subTest(bad=os.path.basename(bad)):
                for state in (self.good, self.p("new.state")):
                    ev = self.p("evicted.jsonl")
                    run = reader(["-q", "--state-out", state, "--evict-idle", "0.001", "--evicted-out", ev,
                                  self.h2, bad], check=False)
                    self.assertEqual(run.returncode, 1, run.stderr)
                    msgs = run.stderr.splitlines()
                    self.assertTrue(msgs[0].startswith("ddi-read: %s: " % bad), run.stderr)
                    if why:
                        self.assertIn(why, msgs[0])
                    self.assertEqual(msgs[-1], "ddi-read: state file %s not written: %s could not be read whole"
                                     % (state, bad))
                    self.assertFalse(os.path.exists(ev))
                    self.assertFalse(os.path.exists(self.p("new.state")))
                    # the report of what was read is still written
                    self.assertGreater(len(source_lines(run.stdout)), 0)
                with open(self.good, "rb") as f:
                    self.assertEqual(f.read(), data)
                self.assertEqual(os.stat(self.good).st_ino, before.st_ino)
        # the same inputs without the bad one write the state
        reader(["-q", "--state-out", self.p("new.state"), self.h2])
        self.assertTrue(os.path.exists(self.p("new.state")))

    def test_failed_state_write_leaves_no_duplicate_evicted_line(self):
        """Evicted lines are appended only once the state that leaves their
        sources out is in place: a run whose state cannot be written appends
        none, so its rerun (from the same old state) writes each once."""
        path = os.path.join(d.CAPTURES, "netns-scanners.pcapng")
        ev = self.p("evicted.jsonl")
        opts = ["-q", "--evict-idle", "2", "--evicted-out", ev]
        run = reader(opts + ["--state-out", self.p("no-such-dir/h.state"), path], check=False)
        self.assertEqual(run.returncode, 1)
        self.assertIn("the old file is kept", run.stderr)
        self.assertEqual(os.path.getsize(ev), 0)
        reader(opts + ["--state-out", self.p("h.state"), path])
        with open(ev) as f:
            lines = f.read().splitlines()
        self.assertGreater(len(lines), 0)
        self.assertEqual(len(lines), len({json.loads(l)["src"] for l in lines}))
        # the same lines as a run that never failed
        once = self.p("once.jsonl")
        reader(["-q", "--evict-idle", "2", "--evicted-out", once, "--state-out", self.p("once.state"), path])
        with open(once) as f:
            self.assertEqual(f.read().splitlines(), lines)

    def test_state_unchanged_through_an_empty_capture(self):
        """An hour without packets passes the state on byte for byte (the
        file is deterministic: the same state gives the same bytes)."""
        self.make_states()
        empty = self.write("empty.pcap", struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        again = self.p("again.state")
        reader(["-q", "--state-in", self.good, "--state-out", again, empty])
        with open(self.good, "rb") as a, open(again, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_eviction(self):
        """Sources idle for more than --evict-idle with final verdicts leave
        the state; their lines are the report's lines."""
        path = capture_path("corpus", "probing__nmap.pcapng")
        if not os.path.exists(path):
            # without the corpus: the seed, whose first source falls idle in
            # its first half (the netns captures' first halves are all SYN
            # scanners still inside their retry window: nothing is final)
            path = os.path.join(d.CAPTURES, SEED)
        t = times(path)
        h1, h2, merged, _ = split(path, t[len(t) // 2], self.dir)
        st, ev = self.p("h1.state"), self.p("evicted.jsonl")
        span = t[-1] - t[0]
        run = reader(["--state-out", st, "--evict-idle", "%.3f" % (span / 4), "--evicted-out", ev, h1])
        report = {json.loads(l)["src"]: l for l in source_lines(run.stdout)}
        with open(ev) as f:
            evicted = f.read().splitlines()
        self.assertIn("sources evicted", run.stderr)
        self.assertGreater(len(evicted), 0)
        for line in evicted:
            src = json.loads(line)["src"]
            self.assertEqual(line, report[src])
        kept = reader(["-q", "--state-in", st, h2]).stdout
        kept_srcs = {json.loads(l)["src"] for l in source_lines(kept)}
        whole_srcs = {json.loads(l)["src"] for l in source_lines(reader(["-q", merged]).stdout)}
        # evicted sources that came back in hour 2 start again; the rest are gone
        h2_srcs = {json.loads(l)["src"] for l in source_lines(reader(["-q", h2]).stdout)}
        ev_srcs = {json.loads(l)["src"] for l in evicted}
        self.assertEqual(kept_srcs, whole_srcs - (ev_srcs - h2_srcs))


# ---------------------------------------------------------------- the plugin
PLUGIN_CAPTURES = [("captures", SEED), ("captures", "netns-scanners.pcapng"), ("captures", "netns-backscatter.pcapng"),
                   ("captures", "ipid-classes.pcapng"), ("corpus", "arkime__v6.pcap"),
                   ("corpus", "sv__bug-4810_pppoe-session-http.pcap"), ("corpus", "zeek__mixed-vlan-mpls.pcap")]
_ddi_fields = []


def ddi_fields():
    """Every ddi.* field the plugin registers (expert items apart)."""
    if not _ddi_fields:
        out, _ = d.tshark(["-G", "fields"])
        for line in out.splitlines():
            cols = line.split("\t")
            if len(cols) > 2 and cols[0] == "F" and cols[2].startswith("ddi.") and not cols[2].startswith("ddi.expert"):
                _ddi_fields.append(cols[2])
    return _ddi_fields


def same_but_frame_numbers(text):
    """What names a frame number differs between a split and a merged run."""
    return text.replace("since an earlier capture file", "since frame N") if "since an earlier" in text else \
        __import__("re").sub(r"since frame \d+", "since frame N", text)


def plugin_rows(path, opts=(), two_pass=False):
    rows = d.fields(path, ddi_fields(), two_pass=two_pass, aggregator="|", extra_opts=list(opts))
    return [{k: same_but_frame_numbers(v) for k, v in r.items()} for r in rows]


def plugin_report(path, opts=(), two_pass=False, check=True):
    args = (["-2"] if two_pass else []) + ["-q", "-r", path, "-z", "ddi,sources,json"]
    return d.tshark(args, extra_opts=list(opts), check=check)


class PluginCarriesState(Workdir):
    @classmethod
    def setUpClass(cls):
        d.require_plugin(cls)

    def test_split_equals_merged(self):
        done = 0
        for where, name in PLUGIN_CAPTURES:
            path = capture_path(where, name)
            if not os.path.exists(path):
                continue
            with self.subTest(capture=name):
                t = times(path)
                h1, h2, merged, n1 = split(path, t[len(t) // 2], self.dir)
                st = self.p(name + ".state")
                if os.path.exists(st):
                    os.unlink(st)
                out, err = plugin_report(h1, ["ddi.state_out:" + st])
                self.assertTrue(os.path.exists(st), err)
                carry = ["ddi.state_in:" + st]
                for two_pass in (False, True):
                    whole_rows = plugin_rows(merged, two_pass=two_pass)[n1:]
                    rows = plugin_rows(h2, carry, two_pass=two_pass)
                    self.assertEqual(len(rows), len(whole_rows))
                    for i, (a, b) in enumerate(zip(rows, whole_rows)):
                        self.assertEqual(a, b, "%s frame %d of hour 2 (two_pass=%s)" % (name, i + 1, two_pass))
                    out, err = plugin_report(h2, carry, two_pass=two_pass)
                    self.assertNotIn("state file", err)
                    whole, _ = plugin_report(merged, two_pass=two_pass)
                    self.assertEqual(source_lines(out), source_lines(whole))
                    cap = capture_line(out)
                    self.assertEqual(cap["state_in"], st)
                    self.assertIsNone(cap["state_error"])
                    self.assertEqual(cap["packets"], capture_line(whole)["packets"])
                    self.assertEqual(cap["two_way"], capture_line(whole)["two_way"])
                # and what the batch reader carries is what the plugin carries
                if os.access(READER, os.X_OK):
                    rst = self.p(name + ".reader-state")
                    reader(["-q", "--state-out", rst, h1])
                    self.assertEqual(source_lines(reader(["-q", "--state-in", rst, h2]).stdout),
                                     source_lines(plugin_report(h2, carry)[0]))
                done += 1
        self.assertGreaterEqual(done, 4)

    def test_conficker_retry_in_file_1_silence_in_file_2(self):
        h1, h2, merged, _ = split(os.path.join(d.CAPTURES, SEED), 1271757605.0, self.dir)
        st = self.p("seed.state")
        out, _ = plugin_report(h1, ["ddi.state_out:" + st])
        first = {json.loads(l)["src"]: json.loads(l) for l in source_lines(out)}
        self.assertEqual(first["114.124.162.72"]["conficker"], "undetermined")
        for two_pass in (False, True):
            out, _ = plugin_report(h2, ["ddi.state_in:" + st], two_pass=two_pass)
            carried = {json.loads(l)["src"]: json.loads(l) for l in source_lines(out)}
            self.assertEqual(carried["114.124.162.72"]["conficker"], "yes")
            self.assertEqual(carried["114.124.162.72"]["retransmissions"], 1)

    def test_bad_state_files(self):
        path = os.path.join(d.CAPTURES, "netns-scanners.pcapng")
        at, _ = gap_split_time(times(path))
        h1, h2, merged, _ = split(path, at, self.dir)
        good = self.p("good.state")
        plugin_report(h1, ["ddi.state_out:" + good])
        with open(good, "rb") as f:
            data = f.read()
        corrupt = bytearray(data)
        corrupt[-9] ^= 0x04
        cases = [(self.p("missing.state"), "no such file", h2),
                 (self.write("corrupt.state", bytes(corrupt)), "checksum mismatch", h2),
                 (self.write("trunc.state", data[:200]), "truncated", h2),
                 (good, "after this capture's first packet", h1)]
        for state, why, capture in cases:
            with self.subTest(why=why):
                fresh_rows = plugin_rows(capture)
                fresh, _ = plugin_report(capture)
                for two_pass in (False, True):
                    out, err = plugin_report(capture, ["ddi.state_in:" + state], two_pass=two_pass)
                    msgs = [l for l in err.splitlines() if "state file" in l]
                    self.assertEqual(len(msgs), 1, err)  # once, also with -2
                    self.assertIn(state, msgs[0])
                    self.assertIn(why, msgs[0])
                    self.assertEqual(source_lines(out), source_lines(fresh))
                    self.assertIn(why, capture_line(out)["state_error"])
                self.assertEqual(plugin_rows(capture, ["ddi.state_in:" + state]), fresh_rows)
                # the GUI user's view: an expert item on the first analysed packet
                rows = d.fields(capture, ["frame.number", "_ws.expert.message"], aggregator="|",
                                display_filter="ddi.expert.state_file",
                                extra_opts=["ddi.state_in:" + state])
                self.assertEqual(len(rows), 1)
                self.assertIn(why, rows[0]["_ws.expert.message"])
        # a good one says where it came from, on one packet too
        rows = d.fields(h2, ["frame.number", "_ws.expert.message"], aggregator="|",
                        display_filter="ddi.expert.state_carried", extra_opts=["ddi.state_in:" + good])
        self.assertEqual(len(rows), 1)
        self.assertIn("ddi state carried from " + good, rows[0]["_ws.expert.message"])

    def write(self, name, data):
        p = self.p(name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o644)
        return p

    def test_eviction_same_as_the_reader(self):
        """ddi.evict_idle / ddi.evicted_out write the lines ddi-read writes
        with the same settings, and leave the same sources in the state."""
        path = os.path.join(d.CAPTURES, "netns-scanners.pcapng")
        pst, pev = self.p("plugin.state"), self.p("plugin-evicted.jsonl")
        out, err = plugin_report(path, ["ddi.state_out:" + pst, "ddi.evict_idle:2", "ddi.evicted_out:" + pev])
        report = {json.loads(l)["src"]: l for l in source_lines(out)}
        with open(pev) as f:
            evicted = f.read().splitlines()
        self.assertGreater(len(evicted), 0)
        self.assertLess(len(evicted), len(report))
        for line in evicted:
            self.assertEqual(line, report[json.loads(line)["src"]])
        with open(pst, "rb") as f:
            kept = struct.unpack("<II", f.read(80)[72:80])  # sources, connections in the header
        self.assertEqual(kept[0], len(report) - len(evicted))
        if os.access(READER, os.X_OK):
            rst, rev = self.p("reader.state"), self.p("reader-evicted.jsonl")
            reader(["-q", "--state-out", rst, "--evict-idle", "2", "--evicted-out", rev, path])
            with open(rev) as f:
                self.assertEqual(f.read().splitlines(), evicted)
            with open(rst, "rb") as f:
                self.assertEqual(struct.unpack("<II", f.read(80)[72:80]), kept)

    def test_failed_state_write_leaves_no_duplicate_evicted_line(self):
        """ddi.evicted_out gets its lines only with the state (ddi.state_out)
        that leaves those sources out: none when the state cannot be written."""
        path = os.path.join(d.CAPTURES, "netns-scanners.pcapng")
        ev = self.p("plugin-evicted.jsonl")
        opts = ["ddi.evict_idle:2", "ddi.evicted_out:" + ev]
        _, err = plugin_report(path, opts + ["ddi.state_out:" + self.p("no-such-dir/h.state")])
        self.assertIn("the old file is kept", err)
        self.assertEqual(os.path.getsize(ev), 0)
        plugin_report(path, opts + ["ddi.state_out:" + self.p("h.state")])
        with open(ev) as f:
            lines = f.read().splitlines()
        self.assertGreater(len(lines), 0)
        self.assertEqual(len(lines), len({json.loads(l)["src"] for l in lines}))

    def test_failed_write_keeps_the_good_file(self):
        path = os.path.join(d.CAPTURES, "netns-scanners.pcapng")
        t = times(path)
        h1, h2, merged, _ = split(path, t[len(t) // 2], self.dir)
        good = self.p("good.state")
        plugin_report(h1, ["ddi.state_out:" + good])
        with open(good, "rb") as f:
            data = f.read()
        cmd = d._base_cmd() + ["tshark", "-n", "-o", "ddi.own_db:" + d.OWN_DB, "-o", "ddi.state_out:" + good,
                               "-q", "-r", merged, "-z", "ddi,sources,json"]

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, preexec_fn=limit)
        self.assertIn("state file %s: writing failed" % good, p.stderr)
        with open(good, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual([n for n in os.listdir(self.dir) if n.startswith("good.state.")], [])


if __name__ == "__main__":
    d.main()
