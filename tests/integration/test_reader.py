"""The batch reader (ddi-read) against the plugin: the same verdicts from the
same core, on every capture of captures/ and the shared corpus.

Differences are allowed only on frames the reader reports as skipped (its
per-frame listing names each one with its link type and reason); everything
else must be equal, frame by frame.
"""
import glob
import os
import re
import subprocess
import tempfile
import unittest

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


def plugin_verdicts(path):
    rows = d.fields(path, ["frame.number", "ddi.verdict"])
    return {int(r["frame.number"]): r["ddi.verdict"] for r in rows if r["ddi.verdict"]}


class TestReader(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(READER, os.X_OK):
            raise unittest.SkipTest("ddi-read not built in %s (libpcap missing?)" % d.BUILD)
        d.require_plugin(cls)

    def test_every_frame_agrees_with_the_plugin(self):
        """Per frame: the plugin's one-pass ddi.verdict equals the reader's,
        except on frames the reader lists as skipped."""
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
                skipped_total += len([n for n in skipped if n in plugin])
        self.assertGreater(total, 50000)
        # today no frame the plugin analyses is skipped by the reader
        self.assertEqual(skipped_total, 0)

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
