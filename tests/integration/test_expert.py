"""ddi's expert items reach Wireshark's expert tap: `tshark -z expert` in one
and two passes, with and without a display filter (issue 13 item 6).

The expert tap is a reader of ddi's output like a tree or a filter: a run
that listens on it gets ddi's items, also in tshark's second pass, which
dissects without a tree.  The Conficker-style warning is a whole-capture
verdict, so only the two-pass run (and the GUI) can list it.
"""
import re

import ddi_tshark as T
from test_profile import SEED, SEED_FRAMES

CONFICKER = "Conficker-style SYN retry: exactly one retransmission 2.97 s after the first SYN to tcp/445"
NAT_PORT = "NAT/middle box suspected (source port): source port 21269"


def expert_rows(args):
    """-q -z expert output as a list of (severity section, count, group, protocol, summary)."""
    out, err = T.tshark(["-q"] + list(args))
    rows, section = [], None
    for line in out.splitlines():
        m = re.match(r"^(Errors|Warns|Notes|Chats|Comments) \(\d+\)$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$", line)
        if m and section:
            rows.append((section, int(m.group(1)), m.group(2), m.group(3), m.group(4)))
    return rows, err


def ddi_rows(rows):
    return [r for r in rows if r[3] == "DDI"]


def find(rows, prefix):
    return [r for r in rows if r[4].startswith(prefix)]


class ExpertTap(T.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_two_pass_lists_conficker_warning_and_nat_note(self):
        rows, err = expert_rows(["-2", "-z", "expert", "-r", SEED])
        self.assertEqual(err, "")
        conf = find(ddi_rows(rows), CONFICKER)
        self.assertEqual([(r[0], r[1], r[2]) for r in conf], [("Warns", len(SEED_FRAMES), "Security")], rows)
        nat = find(ddi_rows(rows), NAT_PORT)
        self.assertEqual([(r[0], r[1], r[2]) for r in nat], [("Notes", len(SEED_FRAMES), "Protocol")], rows)

    def test_one_pass_lists_point_in_time_items_not_the_whole_capture_verdict(self):
        one, _ = expert_rows(["-z", "expert", "-r", SEED])
        two, _ = expert_rows(["-2", "-z", "expert", "-r", SEED])
        self.assertEqual(find(ddi_rows(one), CONFICKER), [])
        self.assertEqual(len(find(ddi_rows(one), NAT_PORT)), 1)
        # every item of the one-pass run is also in the two-pass run, with the same count
        self.assertEqual(sorted(ddi_rows(one)), sorted(r for r in ddi_rows(two) if not r[4].startswith(CONFICKER)))
        self.assertGreaterEqual(len(ddi_rows(one)), 5)

    def test_display_filter_does_not_hide_experts(self):
        base, _ = expert_rows(["-2", "-z", "expert", "-r", SEED])
        for flt in ["tcp.dstport == 445", "ddi.nat", "frame"]:
            rows, _ = expert_rows(["-2", "-Y", flt, "-z", "expert", "-r", SEED])
            self.assertEqual(sorted(ddi_rows(rows)), sorted(ddi_rows(base)), flt)
            rows, _ = expert_rows(["-Y", flt, "-z", "expert", "-r", SEED])
            self.assertTrue(find(ddi_rows(rows), NAT_PORT), flt)

    def test_tap_filter_limits_items_to_matching_frames(self):
        # -z expert,<filter>: only the frames the filter selects, i.e. the seed source's two SYNs
        rows, _ = expert_rows(["-2", "-z", "expert,ddi.nat", "-r", SEED])
        mine = ddi_rows(rows)
        self.assertTrue(find(mine, CONFICKER) and find(mine, NAT_PORT), rows)
        self.assertTrue(all(r[1] <= len(SEED_FRAMES) for r in mine), mine)
        self.assertFalse(any(r[4].startswith("Packet crafted by") for r in mine), mine)

    def test_severity_filter(self):
        rows, _ = expert_rows(["-2", "-z", "expert,warn", "-r", SEED])
        self.assertEqual([r[3] for r in rows], ["DDI"])  # TCP has no warning on this capture


if __name__ == "__main__":
    T.main()
