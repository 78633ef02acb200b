"""JSON output (issue 7): `-T ek`, `-T json` and `-z ddi,sources,json`.

What tshark 4.0 really writes, as asserted below:

* `-T ek` (whole tree): one JSON object per line, an index line before each
  packet.  Field keys are `<proto>_<field with _ for .>`, e.g.
  `ddi_ddi_os`.  FT_BOOLEAN fields are JSON booleans (`"ddi_ddi_nat": true`),
  integer and double fields are JSON strings (`"ddi_ddi_mss": "1410"`).
  4.0's ek writer flattens subtrees, so an object can repeat a key (for
  example `_ws_expert`, or `eth_eth_addr` in the eth layer); `json.loads`
  keeps the last one.  Stores that reject repeated keys (Elasticsearch) want
  the `-e` form.
* `-T ek -e FIELD ...`: `layers` holds only the named fields, each a list of
  strings, booleans as "1"; no key repeats.
* `-T json`: a JSON array of packets; every value is a string, booleans "1".
* `-z ddi,sources,json`: one JSON object per source and line, printed after
  the packets (only the objects with -q); numbers are JSON numbers and
  booleans JSON booleans.
"""
import json
import os
import unittest

import ddi_tshark as T

SEED = os.path.join(T.CAPTURES, "seed-conficker.pcapng")
SEED_SRC = "114.124.162.72"
EK_FIELDS = ["frame.number", "ip.src", "ddi.os", "ddi.os.family", "ddi.mss.mtu", "ddi.mss.pppoe", "ddi.nat",
             "ddi.ipid.rate", "ddi.retry.count", "ddi.conficker", "ddi.tool", "ddi.verdict"]
SOURCE_KEYS = {"src": str, "packets": int, "syns": int, "retransmissions": int, "first_seen": float,
               "last_seen": float, "os": str, "os_family": str, "os_match": str, "link": str, "pppoe": bool,
               "nat": bool, "nat_reason": str, "ipid_class": str, "retry": str, "conficker": bool, "tool": str,
               "backscatter": str, "verdict": str, "sender": str}
OPTIONAL_KEYS = {"mtu": int, "ipid_rate": float}  # only when the source sent an MSS / has an IP-ID rate


def json_lines(text, strict=False):
    """Every non-empty line must be one JSON object; with strict, a repeated
    key inside an object is an error too."""
    objs = []

    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError("repeated keys %s" % sorted(dup))
        return dict(pairs)

    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, object_pairs_hook=no_dupes if strict else None)
        except ValueError as e:
            raise AssertionError("line %d is not valid JSON (%s): %s" % (i, e, line[:300]))
        if not isinstance(obj, dict):
            raise AssertionError("line %d is not a JSON object: %s" % (i, line[:300]))
        objs.append(obj)
    return objs


def check_source_row(test, row):
    for k, typ in SOURCE_KEYS.items():
        test.assertIn(k, row)
        if typ is float:
            test.assertIsInstance(row[k], (int, float), k)
            test.assertNotIsInstance(row[k], bool, k)
        elif typ is int:
            test.assertIs(type(row[k]), int, k)
        else:
            test.assertIs(type(row[k]), typ, k)
    for k, typ in OPTIONAL_KEYS.items():
        if k in row:
            test.assertIsInstance(row[k], (int, float) if typ is float else int, k)
            test.assertNotIsInstance(row[k], bool, k)
    test.assertLessEqual(set(row), set(SOURCE_KEYS) | set(OPTIONAL_KEYS))


class PacketJson(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_ek_whole_tree(self):
        out, _ = T.tshark(["-2", "-r", SEED, "-T", "ek"])
        objs = json_lines(out)
        self.assertEqual(len(objs), 44)
        index, docs = objs[0::2], objs[1::2]
        for i in index:
            self.assertEqual(list(i), ["index"])
        for d in docs:
            self.assertIn("ddi", d["layers"])
        ddi = {int(d["layers"]["frame"]["frame_frame_number"]): d["layers"]["ddi"] for d in docs}
        self.assertEqual(sorted(ddi), list(range(1, 23)))
        seed = ddi[3]
        self.assertEqual(seed["ddi_ddi_os"], "Windows 2000/XP/2003 (RFC 1323 on)")
        self.assertEqual(seed["ddi_ddi_os_family"], "Windows")
        # booleans are JSON booleans in 4.0's ek writer ...
        self.assertIs(seed["ddi_ddi_nat"], True)
        self.assertIs(seed["ddi_ddi_mss_pppoe"], True)
        self.assertIs(seed["ddi_ddi_conficker"], True)
        # ... integers and doubles are strings
        self.assertEqual(seed["ddi_ddi_mss"], "1410")
        self.assertEqual(seed["ddi_ddi_mss_mtu"], "1450")
        self.assertEqual(seed["ddi_ddi_retry_count"], "1")
        self.assertEqual(seed["ddi_ddi_ipid_gap"], "69")
        self.assertIsInstance(seed["ddi_ddi_ipid_rate"], str)
        self.assertAlmostEqual(float(seed["ddi_ddi_ipid_rate"]), 69 / 2.968866, places=3)
        self.assertIn("Conficker-style", seed["ddi_ddi_verdict"])
        self.assertEqual(ddi[2]["ddi_ddi_tool"], "nmap SYN scan")
        self.assertNotIn("ddi_ddi_nat", ddi[2])  # a false boolean is simply absent
        for n in (4, 13):
            self.assertNotIn("ddi_ddi_conficker", ddi[n])

    def test_ek_selected_fields(self):
        args = ["-2", "-r", SEED, "-T", "ek"]
        for f in EK_FIELDS:
            args += ["-e", f]
        out, _ = T.tshark(args)
        docs = json_lines(out, strict=True)[1::2]
        self.assertEqual(len(docs), 22)
        by = {d["layers"]["frame_number"][0]: d["layers"] for d in docs}
        s = by["3"]
        self.assertEqual(s["ip_src"], [SEED_SRC])
        self.assertEqual(s["ddi_nat"], ["1"])
        self.assertEqual(s["ddi_mss_pppoe"], ["1"])
        self.assertEqual(s["ddi_conficker"], ["1"])
        self.assertEqual(s["ddi_mss_mtu"], ["1450"])
        self.assertEqual(s["ddi_retry_count"], ["1"])
        self.assertAlmostEqual(float(s["ddi_ipid_rate"][0]), 23.24, places=2)
        self.assertEqual(by["2"]["ddi_tool"], ["nmap SYN scan"])
        self.assertNotIn("ddi_nat", by["2"])
        for layers in by.values():
            for k, v in layers.items():
                self.assertIsInstance(v, list, k)
                self.assertTrue(all(isinstance(x, str) for x in v), k)

    def test_json(self):
        out, _ = T.tshark(["-2", "-r", SEED, "-T", "json", "-J", "frame ip ddi"])
        pkts = json.loads(out)
        self.assertEqual(len(pkts), 22)
        layers = {p["_source"]["layers"]["frame"]["frame.number"]: p["_source"]["layers"] for p in pkts}
        ddi = layers["3"]["ddi"]
        self.assertIn("Conficker-style", ddi["ddi.verdict"])

        def find(obj, key):  # fields sit in subtrees keyed by their summary text
            if isinstance(obj, dict):
                for k, v in obj.items():
                    if k == key:
                        yield v
                    yield from find(v, key)

        self.assertEqual(list(find(ddi, "ddi.nat")), ["1"])
        self.assertEqual(list(find(ddi, "ddi.mss.pppoe")), ["1"])
        self.assertEqual(list(find(ddi, "ddi.conficker")), ["1"])
        self.assertEqual(list(find(ddi, "ddi.mss")), ["1410"])
        self.assertEqual(list(find(ddi, "ddi.retry.count")), ["1"])
        self.assertEqual(list(find(ddi, "ddi.os")), ["Windows 2000/XP/2003 (RFC 1323 on)"])
        self.assertEqual(list(find(layers["2"]["ddi"], "ddi.tool")), ["nmap SYN scan"])

    def test_json_selected_fields(self):
        out, _ = T.tshark(["-2", "-r", SEED, "-T", "json", "-e", "frame.number", "-e", "ddi.nat", "-e",
                           "ddi.ipid.rate", "-e", "ddi.retry.count"])
        pkts = json.loads(out)
        s = pkts[2]["_source"]["layers"]
        self.assertEqual(s["frame.number"], ["3"])
        self.assertEqual(s["ddi.nat"], ["1"])
        self.assertEqual(s["ddi.retry.count"], ["1"])
        self.assertAlmostEqual(float(s["ddi.ipid.rate"][0]), 23.24, places=2)


class SourcesJson(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def rows(self, *args):
        out, _ = T.tshark(list(args) + ["-q", "-r", SEED, "-z", "ddi,sources,json"])
        return {r["src"]: r for r in json_lines(out, strict=True)}

    def test_typed_rows_single_pass_and_two_pass(self):
        for mode in ([], ["-2"]):
            rows = self.rows(*mode)
            self.assertEqual(len(rows), 4)
            for r in rows.values():
                check_source_row(self, r)
            s = rows[SEED_SRC]
            self.assertEqual((s["packets"], s["syns"], s["retransmissions"]), (2, 2, 1))
            self.assertEqual(s["first_seen"], 1271757600.0)
            self.assertAlmostEqual(s["last_seen"] - s["first_seen"], 2.968866, places=6)
            self.assertEqual(s["os_family"], "Windows")
            self.assertEqual(s["os"], "Windows 2000/XP/2003 (RFC 1323 on)")
            self.assertEqual(s["mtu"], 1450)
            self.assertIs(s["pppoe"], True)
            self.assertIs(s["nat"], True)
            self.assertIn("21269", s["nat_reason"])
            self.assertEqual(s["ipid_class"], "global counter")
            self.assertAlmostEqual(s["ipid_rate"], 23.241, places=3)
            self.assertIs(s["conficker"], True, mode)  # re-evaluated at the end, even in one pass
            self.assertIn("Conficker-style", s["verdict"])
            for src in ("203.0.113.10", "203.0.113.20", "203.0.113.30"):
                self.assertIs(rows[src]["conficker"], False)
                self.assertIs(rows[src]["nat"], False)
                self.assertEqual(rows[src]["mtu"], 1500)
            self.assertEqual(rows["203.0.113.30"]["tool"], "nmap SYN scan")
            self.assertNotIn("ipid_rate", rows["203.0.113.30"])  # random IP IDs: no rate
            self.assertEqual(sum(r["packets"] for r in rows.values()), 22)

    def test_report_follows_the_packets_without_q(self):
        out, _ = T.tshark(["-2", "-r", SEED, "-T", "ek", "-e", "ip.src", "-e", "ddi.os", "-z", "ddi,sources,json"])
        objs = json_lines(out)  # ek packets and the report: every line is JSON
        self.assertEqual(len(objs), 44 + 4)
        self.assertTrue(all("index" in o or "layers" in o for o in objs[:44]))
        report = objs[44:]
        self.assertEqual({r["src"] for r in report}, {SEED_SRC, "203.0.113.10", "203.0.113.20", "203.0.113.30"})
        for r in report:
            check_source_row(self, r)

    def test_corpus_rows_are_valid_json(self):
        cap = T.corpus("stopddos__amp.TCP.reflection.SYNACK.pcap")
        out, _ = T.tshark(["-q", "-r", cap, "-z", "ddi,sources,json"])
        rows = json_lines(out, strict=True)
        self.assertGreater(len(rows), 6000)
        self.assertEqual(len({r["src"] for r in rows}), len(rows))
        for r in rows:
            check_source_row(self, r)
        self.assertGreaterEqual(sum(1 for r in rows if r["backscatter"] == "SYN-ACK"), 5900)


if __name__ == "__main__":
    T.main()
