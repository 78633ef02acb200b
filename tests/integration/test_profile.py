"""The "Darknet" configuration profile (profiles/Darknet, issue 7).

Every filter the profile ships (colouring rules, filter buttons, saved
filters and macros) must compile in tshark 4.0 and select the frames it is
meant to select on captures/seed-conficker.pcapng, and `tshark -C Darknet`
must print the ddi columns with the seed source's values.  The profile is
copied into the throw-away HOME that ddi_tshark uses, exactly where
Wireshark looks for personal profiles (~/.config/wireshark/profiles/).
"""
import concurrent.futures
import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zipfile

import ddi_tshark as T

SEED = os.path.join(T.CAPTURES, "seed-conficker.pcapng")
PROFILE_SRC = os.path.join(T.SOURCE, "profiles", "Darknet")
ALL_FRAMES = list(range(1, 23))
SEED_FRAMES = [1, 3]                                   # 114.124.162.72
SCANNER_FRAMES = [2, 5, 8, 12, 16, 20, 22]             # 203.0.113.30, nmap SYN-scan shape
# nmap draws a new TTL per probe; the scanner's third probe with TTL 55 again
# turns "nmap SYN scan" into "crafted SYN" (nmap's shape, not nmap)
NMAP_FRAMES, CRAFTED_FRAMES = SCANNER_FRAMES[:2], SCANNER_FRAMES[2:]
XP_FRAMES = [4, 6, 7, 9, 10, 11, 17, 19, 21]           # 203.0.113.20
LINUX_FRAMES = [13, 14, 15, 18]                        # 203.0.113.10
RETRY_FRAMES = [3, 6, 9, 10, 11, 14, 15, 18, 19, 21]   # same 5-tuple and ISN again
# Files Wireshark 4.0 reads from a profile folder at start-up (and so copies
# when it imports a profile from a zip; other names are skipped).
WIRESHARK_PROFILE_FILES = {"preferences", "recent", "colorfilters", "dfilters", "cfilters", "dfilter_buttons",
                           "dfilter_macros", "disabled_protos", "enabled_protos", "heuristic_protos",
                           "decode_as_entries"}
# the ddi columns the issue asks for: column field -> why
DDI_COLUMNS = ["ddi.os", "ddi.mss.link", "ddi.nat", "ddi.ipid.rate", "ddi.retry.count", "ddi.tool", "ddi.verdict"]


def install_profile(home, src=PROFILE_SRC, name="Darknet"):
    """Copy the profile into HOME/.config/wireshark/profiles/NAME, owned by
    the user tshark runs as (Wireshark writes its `recent` file there)."""
    profiles = os.path.join(home, ".config", "wireshark", "profiles")
    dst = os.path.join(profiles, name)
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(profiles, exist_ok=True)
    shutil.copytree(src, dst)
    if os.geteuid() == 0:
        for root, dirs, files in os.walk(os.path.join(home, ".config")):
            for n in [root] + [os.path.join(root, x) for x in dirs + files]:
                os.chown(n, 65534, 65534)
    return dst


def content_lines(path):
    with open(path, encoding="utf-8") as f:
        return [ln.rstrip("\n") for ln in f if ln.strip() and not ln.lstrip().startswith("#")]


def uat_rows(path):
    """Rows of a Wireshark UAT file: comma-separated double-quoted fields, a
    backslash escapes the next character."""
    rows = []
    for line in content_lines(path):
        rows.append(next(csv.reader(io.StringIO(line), escapechar="\\", doublequote=False, skipinitialspace=True)))
    return rows


def colour_rules(path=None):
    """(name, filter, background, foreground) of every enabled colouring rule."""
    rules = []
    for line in content_lines(path or os.path.join(PROFILE_SRC, "colorfilters")):
        m = re.fullmatch(r"(!?)@([^@]+)@([^@]+)@\[(\d+),(\d+),(\d+)\]\[(\d+),(\d+),(\d+)\]", line)
        if not m:
            raise AssertionError("malformed colouring rule: %r" % line)
        rgb = [int(x) for x in m.groups()[3:]]
        rules.append((m.group(2), m.group(3), tuple(rgb[:3]), tuple(rgb[3:]), m.group(1) == "!"))
    return rules


def column_formats(path=None):
    """[(title, format)] from gui.column.format in a preferences file."""
    with open(path or os.path.join(PROFILE_SRC, "preferences"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^gui\.column\.format:\s*((?:\s*\"[^\"]*\",\s*\"[^\"]*\",?)+)", text, re.M)
    if not m:
        raise AssertionError("no gui.column.format in preferences")
    vals = re.findall(r"\"([^\"]*)\"", m.group(1))
    return list(zip(vals[0::2], vals[1::2]))


def frames(display_filter, two_pass=True, capture=SEED, profile="Darknet"):
    """Frame numbers that a display filter selects; fails on any tshark
    error (bad filter, unknown macro, wrong macro argument count)."""
    args = ["-2"] if two_pass else []
    if profile:
        args += ["-C", profile]
    args += ["-r", capture, "-Y", display_filter, "-T", "fields", "-e", "frame.number"]
    out, err = T.tshark(args)
    bad = [ln for ln in err.splitlines() if re.search(r"error|warning|could not|macro|neither a field", ln, re.I)]
    if bad:
        raise AssertionError("filter %r: tshark said %s" % (display_filter, bad))
    return [int(x) for x in out.split()]


def frames_many(filters, **kw):
    """frames() for several filters, a few tshark processes at a time."""
    uniq = list(dict.fromkeys(filters))
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futs = {f: pool.submit(frames, f, **kw) for f in uniq}
    return {f: futs[f].result() for f in uniq}


class DarknetProfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        install_profile(T._home)

    # ------------------------------------------------------------------ files

    def test_profile_files(self):
        names = set(os.listdir(PROFILE_SRC))
        for n in ("preferences", "colorfilters", "dfilter_buttons", "dfilter_macros", "dfilters", "recent"):
            self.assertIn(n, names)
        self.assertLessEqual(names, WIRESHARK_PROFILE_FILES, "files Wireshark would not import from a zip")

    def test_columns(self):
        cols = column_formats()
        fmts = [f for _, f in cols]
        self.assertIn("%s", fmts, "a source address column")
        custom = {f.split(":")[1]: f for f in fmts if f.startswith("%Cus:")}
        for field in DDI_COLUMNS:
            self.assertIn(field, custom, "column for %s" % field)
            self.assertRegex(custom[field], r"^%Cus:[a-z0-9_.]+:0:R$")
        out, _ = T.tshark(["-G", "fields"], own_db=None)
        known = {ln.split("\t")[2] for ln in out.splitlines() if ln.startswith("F\t")}
        for field in custom:
            self.assertIn(field, known, "custom column on an unknown field")
        titles = [t for t, _ in cols]
        self.assertEqual(len(titles), len(set(titles)), "column titles must be unique (_ws.col.<title>)")

    def test_recent_has_a_width_for_every_column(self):
        with open(os.path.join(PROFILE_SRC, "recent"), encoding="utf-8") as f:
            text = f.read()
        m = re.search(r"^column\.width:\s*\n((?:\s+.+\n?)+)", text, re.M)
        self.assertTrue(m, "column.width in recent")
        widths = re.findall(r"\s*(\"[^\"]+\"|%\w+),\s*(-?\d+),?", m.group(1))
        keys = [k.strip('"') for k, _ in widths]
        expect = [f if not f.startswith("%Cus:") else "%Cus:" + f.split(":")[1] for _, f in column_formats()]
        self.assertEqual(keys, expect, "recent column.width must list the preferences' columns in order")
        self.assertTrue(all(int(w) > 0 for _, w in widths))
        # wide enough for real captures at ~7 pixels a character plus the
        # cell margins: frame numbers up to 1000000, a full IPv6 address
        width = {k.strip('"'): int(w) for k, w in widths}
        self.assertGreaterEqual(width["%m"], 7 * 7 + 20)
        ipv6 = "2001:0db8:85a3:0000:0000:8a2e:0370:7334"
        for f in ("%s", "%d"):
            self.assertGreaterEqual(width[f], len(ipv6) * 7 + 12, f)

    # ------------------------------------------------------------------ colouring rules

    def test_colour_rules_cover_the_ddi_verdicts(self):
        rules = colour_rules()
        ddi = [r for r in rules if "ddi." in r[1]]
        fields = " ".join(r[1] for r in ddi)
        for f in ("ddi.conficker", "ddi.nat", "ddi.backscatter", "ddi.tool", "ddi.mss.pppoe"):
            self.assertIn(f, fields)
        # the ddi rules come before Wireshark's own, which would otherwise win
        self.assertEqual(rules[:len(ddi)], ddi)
        self.assertEqual(len({r[2] for r in ddi}), len(ddi), "each ddi rule has its own background")
        for _, _, bg, fg, _ in rules:
            self.assertTrue(all(0 <= c <= 65535 for c in bg + fg))

    def test_ddi_colour_rules_select_the_right_frames(self):
        expect = {"ddi.conficker": SEED_FRAMES, "ddi.nat": SEED_FRAMES, "ddi.mss.pppoe": SEED_FRAMES,
                  "ddi.tool": SCANNER_FRAMES, "ddi.backscatter": [], "ddi.retry.count": RETRY_FRAMES}
        rules = {r[1]: r[0] for r in colour_rules() if "ddi." in r[1]}
        got = frames_many(list(rules))
        for flt, name in rules.items():
            field = re.match(r"[a-z0-9_.]+", flt).group(0)
            self.assertEqual(got[flt], expect[field], "colouring rule %r (%s)" % (name, flt))

    def test_every_colour_rule_compiles_and_colours_like_wireshark(self):
        # --color makes tshark load the profile's colorfilters exactly as the
        # GUI does; a rule that does not compile is disabled with a warning
        out, err = T.tshark(["-2", "-C", "Darknet", "--color", "-r", SEED, "-T", "fields", "-e", "frame.number",
                             "-e", "frame.coloring_rule.name"])
        self.assertNotRegex(err, r"(?i)could not compile|disabling color filter|colorfilters")
        rule = dict(ln.split("\t") for ln in out.splitlines())
        self.assertEqual(len(rule), 22)
        for n in SEED_FRAMES:  # Conficker is the first rule: it wins over NAT and PPPoE
            self.assertEqual(rule[str(n)], "ddi: Conficker-style retry")
        for n in SCANNER_FRAMES:
            self.assertEqual(rule[str(n)], "ddi: known scanner")
        # SYN retransmissions are ddi's, not Wireshark's black "Bad TCP"
        for n in RETRY_FRAMES:
            if n not in SEED_FRAMES:
                self.assertEqual(rule[str(n)], "ddi: SYN retransmission", n)
        self.assertNotIn("Bad TCP", set(rule.values()))
        for n in XP_FRAMES + LINUX_FRAMES:
            if n not in RETRY_FRAMES:
                self.assertFalse(rule[str(n)].startswith("ddi:"), (n, rule[str(n)]))
        # and every rule, Wireshark's default ones included, through -Y
        got = frames_many([r[1] for r in colour_rules()])
        self.assertEqual(got["tcp"], ALL_FRAMES)

    def test_colour_rules_on_corpus(self):
        bs = T.corpus("stopddos__amp.TCP.reflection.SYNACK.pcap")
        self.assertGreater(len(frames("ddi.backscatter", two_pass=False, capture=bs)), 7000)
        zmap = T.corpus("probing__zmap_tcp_5k.pcapng")
        self.assertEqual(len(frames("ddi.tool", two_pass=False, capture=zmap)), 5000)

    # ------------------------------------------------------------------ buttons, saved filters, macros

    def test_filter_buttons(self):
        rows = uat_rows(os.path.join(PROFILE_SRC, "dfilter_buttons"))
        self.assertGreaterEqual(len(rows), 5)
        for r in rows:
            self.assertEqual(len(r), 4, r)
            self.assertIn(r[0], ("TRUE", "FALSE"))
            self.assertTrue(r[1] and r[2] and r[3], r)
        expect = {"Conficker": SEED_FRAMES, "NAT": SEED_FRAMES, "Scanners": SCANNER_FRAMES, "Backscatter": [],
                  "PPPoE/tunnel": SEED_FRAMES, "Retries": RETRY_FRAMES, "Windows": sorted(SEED_FRAMES + XP_FRAMES),
                  "Fast senders": [3], "Unknown OS": []}
        self.assertEqual({r[1] for r in rows}, set(expect), "a new button needs its expected frames here")
        got = frames_many([r[2] for r in rows])
        for _, label, flt, _ in rows:
            self.assertEqual(got[flt], expect[label], "button %r: %s" % (label, flt))
        # the buttons that select nothing in the seed must select something somewhere
        by_label = {r[1]: r[2] for r in rows}
        bs = T.corpus("stopddos__amp.TCP.reflection.SYNACK.pcap")
        self.assertGreater(len(frames(by_label["Backscatter"], two_pass=False, capture=bs)), 7000)
        trunc = T.corpus("zeek__tcp_truncated-header.pcap")
        self.assertEqual(frames(by_label["Unknown OS"], two_pass=False, capture=trunc), [1])

    def test_saved_filters(self):
        entries = []
        for line in content_lines(os.path.join(PROFILE_SRC, "dfilters")):
            m = re.fullmatch(r"\"([^\"]+)\"\s+(.+)", line)
            self.assertTrue(m, line)
            entries.append(m.groups())
        self.assertGreaterEqual(len(entries), 5)
        got = frames_many([f for _, f in entries])
        by_name = {n: got[f] for n, f in entries}
        # every saved filter: the seed frames it must select (and so must not select the rest)
        expect = {
            "ddi: every analysed packet": ALL_FRAMES,
            "ddi: Conficker-style retry (tshark -2)": SEED_FRAMES,
            "ddi: NAT or middle box suspected": SEED_FRAMES,
            "ddi: NAT by source port": SEED_FRAMES,
            "ddi: known scanning tool": SCANNER_FRAMES,
            "ddi: ZMap": [],
            "ddi: masscan": [],
            "ddi: backscatter": [],
            "ddi: PPPoE-sized MSS": SEED_FRAMES,
            "ddi: link MTU below 1500": SEED_FRAMES,
            "ddi: SYN retransmissions": RETRY_FRAMES,
            "ddi: SMB (445) retries": [3, 6, 10, 19, 21],
            "ddi: Windows stacks": sorted(SEED_FRAMES + XP_FRAMES),
            "ddi: Linux stacks": LINUX_FRAMES,
            "ddi: IP-ID rate above 10 packets/s": [3],
        }
        self.assertEqual(set(by_name), set(expect), "a new saved filter needs its expected frames here")
        for name, want in expect.items():
            self.assertEqual(by_name[name], want, name)
        # the ones the seed has no case for, on captures of the real thing
        flt = dict(entries)
        for name, cap, n in (("ddi: ZMap", "probing__zmap_tcp_5k.pcapng", 5000),
                             ("ddi: masscan", "probing__masscan_5k.pcapng", 4989),
                             ("ddi: backscatter", "stopddos__amp.TCP.reflection.SYNACK.pcap", 7000)):
            got_n = len(frames(flt[name], two_pass=False, capture=T.corpus(cap)))
            self.assertGreaterEqual(got_n, n, name)
        # and the two tool filters do not select each other's scanner
        self.assertEqual(frames(flt["ddi: ZMap"], two_pass=False, capture=T.corpus("probing__masscan_5k.pcapng")),
                         [])
        self.assertEqual(frames(flt["ddi: masscan"], two_pass=False, capture=T.corpus("probing__zmap_tcp_5k.pcapng")),
                         [])

    def test_macros(self):
        rows = uat_rows(os.path.join(PROFILE_SRC, "dfilter_macros"))
        for r in rows:
            self.assertEqual(len(r), 2, r)
            self.assertRegex(r[0], r"^[A-Za-z0-9_]+$")
        # every macro, used the way the profile documents it
        calls = {
            "ddi_src": ("${ddi_src:114.124.162.72}", SEED_FRAMES),
            "ddi_os": ("${ddi_os:Linux}", LINUX_FRAMES),
            "ddi_rate": ("${ddi_rate:10}", [3]),
            "ddi_mtu": ("${ddi_mtu:1500}", SEED_FRAMES),
            "ddi_tool": ('${ddi_tool:"nmap SYN scan"}', NMAP_FRAMES),
            "ddi_retry_port": ("${ddi_retry_port:445}", [3, 6, 10, 19, 21]),
            "ddi_victim": ("${ddi_victim:198.51.100.23}", []),
            "ddi_conficker": ("${ddi_conficker}", SEED_FRAMES),
            "ddi_suspect": ("${ddi_suspect}", sorted(SEED_FRAMES + SCANNER_FRAMES)),
        }
        self.assertEqual({r[0] for r in rows}, set(calls), "a new macro needs a test call here")
        got = frames_many([c for c, _ in calls.values()])
        for name, (call, want) in calls.items():
            self.assertEqual(got[call], want, "macro %s: %s" % (name, call))
        # ${ddi_os:Windows} inside a bigger expression, and the bare-word form
        self.assertEqual(frames("${ddi_os:Windows} && tcp.dstport == 139"), [7, 9, 11])
        # the macro the seed has no case for, on real backscatter
        bs = T.corpus("stopddos__amp.TCP.reflection.SYNACK.pcap")
        self.assertEqual(frames("${ddi_victim:104.252.89.100}", two_pass=False, capture=bs)[:3], [183, 184, 185])

    def test_macro_errors_are_caught(self):
        # the helper must fail on a macro tshark rejects, or the tests above prove nothing
        with self.assertRaises(AssertionError):
            frames("${ddi_rate}")
        with self.assertRaises(AssertionError):
            frames("${no_such_macro:1}")

    # ------------------------------------------------------------------ tshark -C Darknet

    def test_tshark_C_prints_the_ddi_columns(self):
        plain, _ = T.tshark(["-r", SEED])
        out, err = T.tshark(["-C", "Darknet", "-r", SEED])
        self.assertNotRegex(err, r"(?i)error|could not")
        lines = out.splitlines()
        self.assertEqual(len(lines), 22)
        first = lines[0]
        for s in ("114.124.162.72", "Windows 2000/XP/2003 (RFC 1323 on)", "PPPoE", "True", "source port"):
            self.assertIn(s, first)
        self.assertNotIn("Windows 2000/XP/2003", plain, "the default profile has no ddi columns")
        for n in SCANNER_FRAMES:
            self.assertIn("nmap SYN scan" if n in NMAP_FRAMES else "crafted SYN", lines[n - 1])

    def test_tshark_C_column_values_for_the_seed_source(self):
        titles = [t for t, f in column_formats()]
        rows = T.column_rows(["-2", "-C", "Darknet", "-r", SEED], titles)
        tshark_C = {r["No."]: r for r in rows}
        self.assertEqual(len(tshark_C), 22)
        col = {f: t for t, f in column_formats()}
        c = lambda frame, fmt: tshark_C[str(frame)][col[fmt]]  # noqa: E731
        for n in SEED_FRAMES:
            self.assertEqual(c(n, "%s"), "114.124.162.72")
            self.assertEqual(c(n, "%Cus:ddi.os:0:R"), "Windows 2000/XP/2003 (RFC 1323 on)")
            self.assertIn("PPPoE", c(n, "%Cus:ddi.mss.link:0:R"))
            self.assertEqual(c(n, "%Cus:ddi.nat:0:R"), "True")
            self.assertEqual(c(n, "%Cus:ddi.tool:0:R"), "")
            self.assertIn("Conficker-style", c(n, "%Cus:ddi.verdict:0:R"))
        self.assertEqual(c(1, "%Cus:ddi.retry.count:0:R"), "0")
        self.assertEqual(c(3, "%Cus:ddi.retry.count:0:R"), "1")
        self.assertEqual(c(1, "%Cus:ddi.ipid.rate:0:R"), "")  # a source's first packet has no IP-ID gap
        # 4.4+ print the field's unit in a resolved custom column, 4.0 does not
        self.assertEqual(c(3, "%Cus:ddi.ipid.rate:0:R"), "23.241" + (" pkts/s" if T.COLUMN_UNITS else ""))
        self.assertAlmostEqual(float(T.strip_unit(c(3, "%Cus:ddi.ipid.rate:0:R"))), 69 / 2.968866, places=2)
        for n in SCANNER_FRAMES:
            self.assertEqual(c(n, "%Cus:ddi.tool:0:R"), "nmap SYN scan" if n in NMAP_FRAMES else "crafted SYN")
            self.assertEqual(c(n, "%Cus:ddi.nat:0:R"), "")
        for n in XP_FRAMES + LINUX_FRAMES:
            self.assertNotIn("Conficker", c(n, "%Cus:ddi.verdict:0:R"))

    # ------------------------------------------------------------------ zip import

    def test_zip_for_gui_import(self):
        """`cd profiles && zip -r Darknet.zip Darknet` (docs/workflows.md) makes
        a zip that Wireshark's Configuration Profiles > Import > from zip file
        accepts: a top folder named after the profile, only files Wireshark
        copies, each under its 512 KiB limit and with at least one entry.  The
        unzipped folder is then used as a personal profile."""
        tmp = tempfile.mkdtemp(prefix="ddi-zip-")
        try:
            shutil.copytree(PROFILE_SRC, os.path.join(tmp, "profiles", "Darknet"))
            zpath = os.path.join(tmp, "profiles", "Darknet.zip")
            if shutil.which("zip"):
                subprocess.run(["zip", "-q", "-r", "Darknet.zip", "Darknet"], cwd=os.path.join(tmp, "profiles"),
                               check=True)
            else:  # the same layout zip -r produces
                with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
                    for n in sorted(os.listdir(PROFILE_SRC)):
                        z.write(os.path.join(PROFILE_SRC, n), "Darknet/" + n)
            with zipfile.ZipFile(zpath) as z:
                files = [i for i in z.infolist() if not i.is_dir()]
                self.assertEqual({i.filename.split("/")[0] for i in z.infolist()}, {"Darknet"})
                for i in files:
                    self.assertEqual(i.filename.count("/"), 1, i.filename)
                    self.assertIn(i.filename.split("/")[1], WIRESHARK_PROFILE_FILES)
                    self.assertLessEqual(i.file_size, 512 * 1024)
                self.assertEqual(len(files), len(os.listdir(PROFILE_SRC)))
                unz = os.path.join(tmp, "unzipped")
                z.extractall(unz)
            install_profile(T._home, src=os.path.join(unz, "Darknet"), name="DarknetFromZip")
            out, _ = T.tshark(["-C", "DarknetFromZip", "-r", SEED, "-c", "1"])
            self.assertIn("Windows 2000/XP/2003 (RFC 1323 on)", out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    T.main()
