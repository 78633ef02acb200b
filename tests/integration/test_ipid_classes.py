"""ddi.ipid.class on every class, with crafted traffic (captures/make_ipid.py:
byte-swapped counter, wrap-around) and real captures made by others."""
import os
import unittest

import ddi_tshark as T

CRAFTED = os.path.join(T.CAPTURES, "ipid-classes.pcapng")
F = ["ip.src", "ip.id", "ddi.ipid.gap", "ddi.ipid.class", "ddi.ipid.rate", "frame.time_epoch"]


def last_class(rows, src):
    mine = [r for r in rows if r["ip.src"] == src]
    return mine[-1]["ddi.ipid.class"], mine


class Crafted(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        cls.rows = T.fields(CRAFTED, F)

    def test_byte_swapped_counter(self):
        cls_, mine = last_class(self.rows, "203.0.113.40")
        self.assertEqual(cls_, "byte-swapped counter (+256 steps)")
        t0, id0 = float(mine[0]["frame.time_epoch"]), int(mine[0]["ip.id"], 16)
        host0 = (id0 & 0xff) << 8 | id0 >> 8
        for cur in mine[1:]:
            b = int(cur["ip.id"], 16)
            advance = (((b & 0xff) << 8 | b >> 8) - host0) & 0xffff
            span = float(cur["frame.time_epoch"]) - t0
            # the rate is the counter's advance, read after swapping it back,
            # over the whole span since the source's first sample
            self.assertAlmostEqual(float(cur["ddi.ipid.rate"]), advance / span, places=3)
            self.assertEqual(int(cur["ddi.ipid.gap"]) % 256, 0)

    def test_wrap_around(self):
        cls_, mine = last_class(self.rows, "203.0.113.41")
        self.assertEqual(cls_, "global counter")
        wrapped = [r for p, r in zip(mine, mine[1:]) if int(r["ip.id"], 16) < int(p["ip.id"], 16)]
        self.assertEqual(len(wrapped), 1)
        r = wrapped[0]
        prev = mine[mine.index(r) - 1]
        self.assertEqual(int(r["ddi.ipid.gap"]), (int(r["ip.id"], 16) - int(prev["ip.id"], 16)) % 65536)
        self.assertLess(int(r["ddi.ipid.gap"]), 20)
        self.assertNotEqual(r["ddi.ipid.rate"], "")

    def test_zero_per_destination_random(self):
        for src, want in (("203.0.113.42", "zero"), ("203.0.113.43", "per-destination counter"),
                          ("203.0.113.44", "random")):
            cls_, mine = last_class(self.rows, src)
            self.assertEqual(cls_, want, src)
            # no rate is derived from anything but a counter
            self.assertTrue(all(r["ddi.ipid.rate"] == "" for r in mine), src)


class RealCaptures(unittest.TestCase):
    CASES = [  # capture, source, class the source's documented behaviour implies
        ("probing__zmap_tcp_5k.pcapng", "192.168.181.131", "constant"),        # ZMap 2.x: IP ID 54321
        ("arkime__wireshark-smb-on-windows10.pcap", "192.168.199.132", "global counter"),  # +6..+10 per SYN
        ("ndpi__iphone.pcap", "192.168.2.17", "zero"),                        # iOS: ID 0 with DF
        ("probing__nmap.pcapng", "192.168.181.142", "per-destination counter"),  # Linux connect(), +1 retries
        ("probing__hping3.pcapng", "192.168.181.160", "random"),              # hping3: rand() per packet
    ]

    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_classes(self):
        for cap, src, want in self.CASES:
            with self.subTest(capture=cap):
                rows = T.fields(T.corpus(cap), F, display_filter="ip.src==%s" % src)
                self.assertGreater(len(rows), 2)
                self.assertEqual(rows[-1]["ddi.ipid.class"], want)


if __name__ == "__main__":
    T.main()
