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
  strings, booleans as "1" (4.4+: "True", T.BOOL_TRUE); no key repeats.
  (4.4+ also no longer repeat keys in the whole-tree form: a repeated field
  becomes an array there.)
* `-T json`: a JSON array of packets; every value is a string, booleans "1"
  in the whole tree, and with -e as in `-T ek -e` (T.BOOL_TRUE).
* `-z ddi,sources,json`: a `{"capture": {...}}` line, then one JSON object
  per source and line, printed after the packets (only the objects with -q);
  numbers are JSON numbers and booleans JSON booleans.  Every key is always
  there, with one type; a value that is not known is `null`.  Whole-capture
  verdicts are strings "yes" / "no" / "undetermined" with a reason.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import ddi_tshark as T

SEED = os.path.join(T.CAPTURES, "seed-conficker.pcapng")
SEED_SRC = "114.124.162.72"
EK_FIELDS = ["frame.number", "ip.src", "ddi.os", "ddi.os.family", "ddi.mss.mtu", "ddi.mss.pppoe", "ddi.nat",
             "ddi.ipid.rate", "ddi.retry.count", "ddi.conficker", "ddi.tool", "ddi.verdict"]
# key -> (type, may be null)
SOURCE_KEYS = {"src": (str, False), "packets": (int, False), "syns": (int, False),
               "retransmissions": (int, False), "udp": (int, False), "other": (int, False),
               "first_seen": (float, False), "last_seen": (float, False), "destinations": (int, False),
               "destinations_at_least": (bool, False), "ports": (int, False), "ports_at_least": (bool, False),
               "ttl_min": (int, True), "ttl_max": (int, True), "hops_min": (int, True), "hops_max": (int, True),
               "os": (str, True), "os_family": (str, True), "os_match": (str, True), "mss": (int, True),
               "mtu": (int, True), "link": (str, True), "pppoe": (bool, True), "nat": (bool, False),
               "nat_kinds": (list, False), "nat_first_seen": (float, True), "nat_reason": (str, True),
               "ipid_class": (str, True), "ipid_rate": (float, True), "ipid_rate_samples": (int, False),
               "ipid_rate_span": (float, True), "ipid_norate": (str, True), "conficker": (str, False),
               "conficker_reason": (str, False), "sender": (str, False), "sender_reason": (str, False),
               "answered": (bool, False), "tools": (list, False), "backscatter_packets": (int, False),
               "backscatter": (dict, False), "victim_port": (int, True), "verdict": (str, False),
               # telescope features and the spoofed-source likelihood (issue 12 item 6)
               "bytes": (int, False), "dst_prefixes24": (int, True), "dst_prefixes24_at_least": (bool, True),
               "dst_prefixes48": (int, True), "dst_prefixes48_at_least": (bool, True),
               "ports_top": (list, False), "ports_top_exact": (bool, False), "ttls": (list, False),
               "ttls_complete": (bool, False), "spoof": (str, False), "spoof_reasons": (list, False)}
SPOOF_REASONS = {"ttl>=200", "src-last-octet-0-or-255", "src==dst", "port-0", "random-source-flood"}
CAPTURE_KEYS = {"first_seen": (float, True), "last_seen": (float, True), "packets": (int, False),
                "sources": (int, False), "sources_shown": (int, False), "two_way": (bool, False),
                "two_way_frame": (int, True), "two_way_since": (float, True),
                "answered_sources": (int, False), "packets_not_analysed": (int, False),
                "syns_not_tracked": (int, False), "limit_hit": (bool, False), "state_in": (str, True),
                "state_error": (str, True), "databases": (list, False)}
TRI = {"yes", "no", "undetermined"}


def check_typed(test, obj, schema):
    """Every key present, no other key, each value of its one type (or null where allowed)."""
    test.assertEqual(set(obj), set(schema))
    for k, (typ, nullable) in schema.items():
        v = obj[k]
        if v is None:
            test.assertTrue(nullable, k)
        elif typ is float:
            test.assertIsInstance(v, (int, float), k)
            test.assertNotIsInstance(v, bool, k)
        else:
            test.assertIs(type(v), typ, k)


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
    check_typed(test, row, SOURCE_KEYS)
    test.assertIn(row["conficker"], TRI)
    test.assertIn(row["sender"], {"stateful", "stateless", "undetermined"})
    test.assertTrue(row["conficker_reason"] and row["sender_reason"])
    test.assertEqual(row["nat"], bool(row["nat_kinds"]))
    test.assertEqual(row["backscatter_packets"], sum(row["backscatter"].values()))
    test.assertEqual(row["ipid_rate"] is None, row["ipid_norate"] is not None)
    test.assertIn(row["spoof"], {"likely", "possible", "unlikely"})
    test.assertLessEqual(set(row["spoof_reasons"]), SPOOF_REASONS)
    test.assertEqual(row["spoof"] == "unlikely", not row["spoof_reasons"])
    v6 = ":" in row["src"]
    test.assertEqual(row["dst_prefixes24"] is None, v6)
    test.assertEqual(row["dst_prefixes48"] is None, not v6)
    for e in row["ports_top"]:
        if row["ports_top_exact"] or "packets" in e:
            test.assertEqual(set(e), {"port", "packets"})
        else:  # bounds once a port was evicted: Space-Saving's, never a 0 lower bound
            test.assertEqual(set(e), {"port", "packets_min", "packets_max"})
            test.assertTrue(0 < e["packets_min"] < e["packets_max"])
        test.assertTrue(all(type(v) is int for v in e.values()) and e.get("packets", e.get("packets_max")) > 0)
    counts = [e.get("packets", e.get("packets_max")) for e in row["ports_top"]]
    test.assertEqual(counts, sorted(counts, reverse=True))
    test.assertLessEqual(len(row["ports_top"]), 3)
    test.assertEqual(row["ttls"], sorted(set(row["ttls"])))
    if row["ttls"]:
        test.assertEqual((row["ttls"][0], row["ttls"][-1]), (row["ttl_min"], row["ttl_max"]))


def split_report(test, objs):
    """The capture line first, then the sources."""
    test.assertEqual(list(objs[0]), ["capture"])
    check_typed(test, objs[0]["capture"], CAPTURE_KEYS)
    return objs[0]["capture"], objs[1:]


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
        self.assertEqual(s["ddi_nat"], [T.BOOL_TRUE])
        self.assertEqual(s["ddi_mss_pppoe"], [T.BOOL_TRUE])
        self.assertEqual(s["ddi_conficker"], [T.BOOL_TRUE])
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
        self.assertEqual(s["ddi.nat"], [T.BOOL_TRUE])
        self.assertEqual(s["ddi.retry.count"], ["1"])
        self.assertAlmostEqual(float(s["ddi.ipid.rate"][0]), 23.24, places=2)


class SourcesJson(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def rows(self, *args):
        out, _ = T.tshark(list(args) + ["-q", "-r", SEED, "-z", "ddi,sources,json"])
        cap, rows = split_report(self, json_lines(out, strict=True))
        self.assertEqual((cap["packets"], cap["sources"], cap["sources_shown"]), (22, 4, 4))
        self.assertIs(cap["two_way"], False)
        self.assertIs(cap["limit_hit"], False)
        self.assertEqual([d["loaded"] for d in cap["databases"]], [True, True])
        return {r["src"]: r for r in rows}

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
            self.assertEqual(s["nat_kinds"], ["source port"])
            self.assertIn("21269", s["nat_reason"])
            self.assertEqual(s["ipid_class"], "global counter")
            self.assertAlmostEqual(s["ipid_rate"], 23.241, places=3)
            self.assertEqual((s["ipid_rate_samples"], s["ipid_rate_span"]), (2, 2.968866))
            self.assertEqual(s["conficker"], "yes", mode)  # re-evaluated at the end, even in one pass
            self.assertEqual((s["ttl_min"], s["hops_min"], s["destinations"], s["ports"]), (113, 15, 1, 1))
            self.assertIn("Conficker-style", s["verdict"])
            for src in ("203.0.113.10", "203.0.113.20", "203.0.113.30"):
                self.assertEqual(rows[src]["conficker"], "no")
                self.assertIs(rows[src]["nat"], False)
                self.assertIsNone(rows[src]["nat_reason"])
            for src in ("203.0.113.10", "203.0.113.20"):
                self.assertEqual(rows[src]["mtu"], 1500)
            # the scanner's MSS is typed into its tool: no link claim
            self.assertIsNone(rows["203.0.113.30"]["mtu"])
            # nmap's shape, but TTL 55 on every probe where nmap draws one per probe
            # (its first two probes' nmap label falls once the third refutes it)
            self.assertEqual(rows["203.0.113.30"]["tools"], ["crafted SYN"])
            self.assertEqual(rows["203.0.113.30"]["sender"], "stateless")
            self.assertIsNone(rows["203.0.113.30"]["ipid_rate"])  # random IP IDs: no rate
            self.assertIsNone(rows["203.0.113.30"]["os"])
            self.assertEqual(sum(r["packets"] for r in rows.values()), 22)

    def test_report_follows_the_packets_without_q(self):
        out, _ = T.tshark(["-2", "-r", SEED, "-T", "ek", "-e", "ip.src", "-e", "ddi.os", "-z", "ddi,sources,json"])
        objs = json_lines(out)  # ek packets and the report: every line is JSON
        self.assertEqual(len(objs), 44 + 1 + 4)
        self.assertTrue(all("index" in o or "layers" in o for o in objs[:44]))
        _, report = split_report(self, objs[44:])
        self.assertEqual({r["src"] for r in report}, {SEED_SRC, "203.0.113.10", "203.0.113.20", "203.0.113.30"})
        for r in report:
            check_source_row(self, r)

    def test_corpus_rows_are_valid_json(self):
        cap = T.corpus("stopddos__amp.TCP.reflection.SYNACK.pcap")
        out, _ = T.tshark(["-q", "-r", cap, "-z", "ddi,sources,json"])
        cap, rows = split_report(self, json_lines(out, strict=True))
        self.assertEqual(cap["sources_shown"], len(rows))
        self.assertGreater(len(rows), 6000)
        self.assertEqual(len({r["src"] for r in rows}), len(rows))
        for r in rows:
            check_source_row(self, r)
        self.assertGreaterEqual(sum(1 for r in rows if "SYN-ACK" in r["backscatter"]), 5900)


class LocaleIndependent(unittest.TestCase):
    """Under a locale with a decimal comma (de_DE.UTF-8, generated here with
    localedef into a private LOCPATH) ddi's numbers keep their point: the
    JSON stays valid, the text says "~23.2"."""

    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        if not shutil.which("localedef") or not os.path.isfile("/usr/share/i18n/locales/de_DE"):
            raise unittest.SkipTest("de_DE.UTF-8 cannot be generated (localedef or the locales package's "
                                    "/usr/share/i18n/locales/de_DE missing): locale test skipped")
        cls.locdir = tempfile.mkdtemp(prefix="ddi-locale-")
        os.chmod(cls.locdir, 0o755)
        subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", os.path.join(cls.locdir, "de_DE.UTF-8")],
                       capture_output=True, timeout=120)
        probe = subprocess.run(T._base_cmd() + cls.env() + ["printf", "%.1f", "2.5"], capture_output=True,
                               text=True)
        if probe.stdout != "2,5":
            shutil.rmtree(cls.locdir, ignore_errors=True)
            raise unittest.SkipTest("generated de_DE.UTF-8 does not print a decimal comma (%r): locale test "
                                    "skipped" % probe.stdout)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.locdir, ignore_errors=True)

    @classmethod
    def env(cls):
        return ["LOCPATH=" + cls.locdir, "LC_ALL=de_DE.UTF-8"]

    def tshark_de(self, args):
        cmd = T._base_cmd() + self.env() + ["tshark", "-n", "-o", "ddi.own_db:" + T.OWN_DB] + args
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_sources_json_is_valid(self):
        out = self.tshark_de(["-q", "-r", SEED, "-z", "ddi,sources,json"])
        cap, rows = split_report(self, json_lines(out, strict=True))
        self.assertEqual(cap["last_seen"], 1271757635.91264)
        seed = {r["src"]: r for r in rows}[SEED_SRC]
        check_source_row(self, seed)
        self.assertEqual(seed["first_seen"], 1271757600.0)
        self.assertAlmostEqual(seed["ipid_rate"], 23.241, places=3)

    def test_text_keeps_the_decimal_point(self):
        out = self.tshark_de(["-q", "-r", SEED, "-z", "ddi,sources"])
        self.assertIn("~23.2 packets/s in all over 2.97 s", out)
        self.assertIn("(35.913 s)", out)
        self.assertNotRegex(out, r"\d,\d")
        out = self.tshark_de(["-2", "-r", SEED, "-Y", "frame.number == 3", "-T", "fields", "-e", "ddi.verdict"])
        self.assertIn("~23.2 packets/s", out)
        self.assertIn("after 2.97 s", out)
        out = self.tshark_de(["-2", "-r", SEED, "-Y", "frame.number == 3", "-V", "-O", "ddi"])
        ddi = out[out.index("Deep Darknet Inspection"):]
        self.assertNotRegex(ddi, r"\d,\d\d", "a decimal comma in the ddi tree")


if __name__ == "__main__":
    T.main()
