"""The batch reader (ddi-read) against the plugin: the same verdicts from the
same core, on every capture of captures/ and the shared corpus.

Differences are allowed only on frames the reader reports as skipped (its
per-frame listing names each one with its link type and reason); everything
else must be equal, frame by frame.
"""
import glob
import json
import os
import re
import subprocess
import tempfile
import unittest

import craft_encaps
import ddi_tshark as d

READER = os.path.join(d.BUILD, "ddi-read")


def reader(args, own_db=d.OWN_DB, check=True, stdin=None):
    """Run ddi-read; returns (returncode, stdout, stderr)."""
    cmd = [READER] + (["--own-db", own_db] if own_db else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, stdin=stdin)
    if check and p.returncode != 0:
        raise AssertionError("ddi-read failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    return p.returncode, p.stdout, p.stderr


def all_captures():
    caps = sorted(glob.glob(os.path.join(d.CAPTURES, "*.pcap*")))
    if os.path.isdir(d.CORPUS):
        caps += sorted(glob.glob(os.path.join(d.CORPUS, "*.pcap*")))
        caps += sorted(glob.glob(os.path.join(d.CORPUS, "robustness", "*.pcap*")))
    return caps


def reader_verdicts(path):
    """{frame: (source, verdict)} and {frame: skip text} from --verdicts."""
    _, out, _ = reader(["--verdicts", "-q", path])
    analysed, skipped = {}, {}
    for line in out.splitlines():
        num, src, text = line.split("\t", 2)
        if src:
            analysed[int(num)] = (src, text)
        else:
            skipped[int(num)] = text
    return analysed, skipped


_plugin_verdicts = {}


def plugin_verdicts(path):
    """{frame: ddi.verdict} of one-pass tshark (cached: two tests use it)."""
    if path not in _plugin_verdicts:
        _plugin_verdicts[path] = _plugin_verdicts_run(path)
    return _plugin_verdicts[path]


def _plugin_verdicts_run(path):
    rows = d.fields(path, ["frame.number", "ddi.verdict"])
    return {int(r["frame.number"]): r["ddi.verdict"] for r in rows if r["ddi.verdict"]}


def plugin_json(path):
    out, _ = d.tshark(["-q", "-r", path, "-z", "ddi,sources,json"])
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def reader_json(path):
    _, out, err = reader(["-q", path])
    return [json.loads(line) for line in out.splitlines()]


def sources_of_frames(path, frames):
    """Every IPv4/IPv6 source address tshark shows in these frames (outer,
    inner and quoted): the sources a skipped frame can have touched."""
    if not frames:
        return set()
    rows = d.fields(path, ["frame.number", "ip.src", "ipv6.src"])
    srcs = set()
    for r in rows:
        if int(r["frame.number"]) in frames:
            srcs.update(x for x in (r["ip.src"], r["ipv6.src"]) if x)
    return srcs


# Header keys that count packets or sources: they differ when frames do.
COUNT_KEYS = {"first_seen", "last_seen", "packets", "sources", "sources_shown", "answered_sources", "two_way"}


class TestReader(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(READER, os.X_OK):
            raise unittest.SkipTest("ddi-read not built in %s (libpcap missing?)" % d.BUILD)
        d.require_plugin(cls)

    def test_every_frame_agrees_with_the_plugin(self):
        """Per frame: the plugin's one-pass ddi.verdict equals the reader's,
        except on frames the reader lists as skipped."""
        if not os.path.isdir(d.CORPUS):
            self.skipTest("corpus folder %s not found: corpus test skipped" % d.CORPUS_SOURCE)
        caps = all_captures()
        self.assertGreater(len(caps), 4)
        total = skipped_total = 0
        for cap in caps:
            with self.subTest(capture=os.path.basename(cap)):
                plugin = plugin_verdicts(cap)
                analysed, skipped = reader_verdicts(cap)
                mine = {n: v for n, (_, v) in analysed.items()}
                for n in sorted(set(plugin) | set(mine)):
                    if n in skipped:
                        continue
                    self.assertEqual(mine.get(n), plugin.get(n), "frame %d" % n)
                # a skipped frame is one the plugin does not analyse either,
                # or a difference the skip list explains
                for n, why in skipped.items():
                    self.assertRegex(why, r"^skipped: link type \d+: ")
                total += len(mine)
                # the plugin analyses a fragmented datagram where Wireshark
                # reassembles it; the reader skips every fragment
                skipped_total += len([n for n in skipped if n in plugin and "IP fragment" not in skipped[n]])
        self.assertGreater(total, 50000)
        # today no other frame the plugin analyses is skipped by the reader
        self.assertEqual(skipped_total, 0)

    def test_per_source_json_equals_the_plugin(self):
        """`ddi-read FILE` writes what `tshark -q -z ddi,sources,json -r FILE`
        writes, key by key; differences only on sources of frames the reader
        reports as skipped."""
        if not os.path.isdir(d.CORPUS):
            self.skipTest("corpus folder %s not found: corpus test skipped" % d.CORPUS_SOURCE)
        caps = all_captures()
        sources = 0
        for cap in caps:
            with self.subTest(capture=os.path.basename(cap)):
                plugin = plugin_json(cap)
                mine = reader_json(cap)
                self.assertIn("capture", plugin[0])
                self.assertIn("capture", mine[0])
                # frames the plugin analysed but the reader skipped, and their sources
                analysed, skipped = reader_verdicts(cap)
                lost = {n for n in skipped if n in plugin_verdicts(cap)} if skipped else set()
                allowed = sources_of_frames(cap, lost)
                why = "; ".join(sorted({skipped[n] for n in lost}))
                hp, hm = plugin[0]["capture"], mine[0]["capture"]
                self.assertEqual(sorted(hp), sorted(hm))
                for k in hp:
                    if k in COUNT_KEYS and lost:
                        continue
                    # the plugin learns its databases from the first analysed
                    # packet's tap data: a capture without one lists none
                    if k == "databases" and hp["packets"] == 0 and hm["packets"] == 0:
                        continue
                    self.assertEqual(hm[k], hp[k], "capture header key %s" % k)
                bysrc_p = {o["src"]: o for o in plugin[1:]}
                bysrc_m = {o["src"]: o for o in mine[1:]}
                for src in sorted(set(bysrc_p) | set(bysrc_m)):
                    if src in allowed:
                        continue
                    self.assertIn(src, bysrc_m, "source missing from the reader's JSON (%s)" % why)
                    self.assertIn(src, bysrc_p, "source only in the reader's JSON")
                    p, m = bysrc_p[src], bysrc_m[src]
                    self.assertEqual(list(m), list(p), "keys of %s" % src)
                    for k in p:
                        self.assertEqual(m[k], p[k], "%s: key %s" % (src, k))
                if not lost:
                    # same order too: most packets first, then by address
                    self.assertEqual([o.get("src") for o in mine[1:]], [o.get("src") for o in plugin[1:]])
                sources += len(bysrc_p)
        self.assertGreater(sources, 50000)

    def test_crafted_encapsulations_agree_with_the_plugin(self):
        """Every link layer and tunnel the reader follows, including those no
        corpus capture has: the reader analyses the innermost SYN, as the
        plugin does with Wireshark's dissectors, frame by frame and in JSON."""
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o755)  # tshark runs as nobody when we are root
            paths = craft_encaps.write_all(tmp)
            names = [n for n, _ in craft_encaps.ethernet_frames()]
            for path in paths:
                os.chmod(path, 0o644)
                with self.subTest(capture=os.path.basename(path)):
                    analysed, skipped = reader_verdicts(path)
                    plugin = plugin_verdicts(path)
                    self.assertTrue(analysed)
                    self.assertEqual({n: v for n, (_, v) in analysed.items()}, plugin)
                    for n, (src, _) in analysed.items():
                        what = names[n - 1] if path.endswith("ethernet.pcap") else "inner"
                        if "ICMP" in what:  # the error's sender, never the quoted SYN's source
                            self.assertTrue(src.startswith("203.0.113."), (what, src))
                        else:
                            self.assertTrue(src.startswith("192.0.2.") or src.startswith("2001:db8::"),
                                            (what, src))
                    self.assertEqual(reader_json(path), plugin_json(path))
                    if path.endswith("ethernet.pcap"):
                        self.assertEqual(len(analysed), len(names) - 1)
                        self.assertEqual(list(skipped.values()),
                                         ["skipped: link type 1: not IP (ethertype 0x0806)"])

    def test_text_report_equals_the_plugin(self):
        cap = os.path.join(d.CAPTURES, "seed-conficker.pcapng")
        out, _ = d.tshark(["-q", "-r", cap, "-z", "ddi,sources"])
        _, mine, _ = reader(["--text", "-q", cap])
        plugin = out[out.index("\n") + 1:] if out.startswith("\n") else out
        self.assertIn("Conficker", mine)
        # the footer's state size differs by design: the reader keeps no
        # per-frame records (no second pass to serve)
        state = re.compile(r"^ddi state: .*$", re.M)
        self.assertRegex(mine, state)
        self.assertEqual(state.sub("", mine).strip("\n"), state.sub("", plugin).strip("\n"))

    def test_skip_counts_name_link_type_and_protocol(self):
        """The stderr summary counts what tshark itself sees as non-IP."""
        cap = d.corpus("zeek__nmap-vsn.pcap")
        arp = len(d.fields(cap, ["frame.number"], display_filter="arp"))
        self.assertGreater(arp, 0)
        _, _, err = reader([cap], check=True)
        m = re.search(r"skipped (\d+) frames: link type 1 \(EN10MB\): not IP \(ethertype 0x0806\)", err)
        self.assertIsNotNone(m, err)
        self.assertEqual(int(m.group(1)), arp)
        total = int(re.search(r"(\d+) frames, (\d+) analysed, (\d+) skipped", err).group(1))
        self.assertEqual(total, len(d.fields(cap, ["frame.number"])))

    def test_threads_do_not_change_the_output(self):
        """The reading thread (--read-thread) and the report's threads (the
        default) write what one thread (--single-thread) writes, byte for
        byte, per-frame listing and JSON, on every capture with more than one
        chunk of report rows (1024) and on a crafted one with several files."""
        caps = [c for c in all_captures() if os.path.getsize(c) > 600000]
        caps.append(os.path.join(d.CAPTURES, "netns-scanners.pcapng"))
        big = 0
        for cap in caps:
            with self.subTest(capture=os.path.basename(cap)):
                _, one, _ = reader(["-q", "--single-thread", cap])
                big += one.count("\n") > 1025
                for mode in ([], ["--read-thread"]):
                    _, out, _ = reader(["-q"] + mode + [cap])
                    self.assertEqual(out, one, " ".join(mode) or "default")
                _, v1, _ = reader(["-q", "--verdicts", "--single-thread", cap])
                _, v2, _ = reader(["-q", "--verdicts", "--read-thread", cap])
                self.assertEqual(v2, v1)
        if os.path.isdir(d.CORPUS):
            self.assertGreater(big, 0, "no capture with more than 1024 sources")

    def test_files_in_order_are_one_capture(self):
        """Hourly files read in order give what the concatenated capture gives;
        '-' reads standard input."""
        cap = os.path.join(d.CAPTURES, "netns-scanners.pcapng")
        whole, _ = reader_verdicts(cap)
        self.assertGreater(len(whole), 100)
        with tempfile.TemporaryDirectory() as tmp:
            # editcap -c splits into consecutive files of N frames
            subprocess.run(["editcap", "-c", str(len(whole) // 3 + 1), cap, os.path.join(tmp, "part.pcapng")],
                           check=True, capture_output=True)
            parts = sorted(glob.glob(os.path.join(tmp, "part*")))
            self.assertEqual(len(parts), 3)
            _, out, _ = reader(["--verdicts", "-q"] + parts)
            self.assertEqual(out.splitlines(), [
                "%d\t%s\t%s" % (n, s, v) for n, (s, v) in sorted(whole.items())])
            with open(parts[1], "rb") as f:
                _, out2, _ = reader(["--verdicts", "-q", parts[0], "-", parts[2]], stdin=f)
            self.assertEqual(out2, out)

    def test_unreadable_file_is_named_and_the_rest_is_read(self):
        cap = os.path.join(d.CAPTURES, "seed-conficker.pcapng")
        rc, out, err = reader(["--verdicts", "-q", "/nonexistent/hour-00.pcap", cap], check=False)
        self.assertEqual(rc, 1)
        self.assertIn("/nonexistent/hour-00.pcap", err)
        self.assertEqual(len(out.splitlines()), len(plugin_verdicts(cap)))


if __name__ == "__main__":
    d.main()
