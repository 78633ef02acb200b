"""Every reader of ddi's output sees the same ddi output (issue 11).

ddi builds text (evidence strings, expert messages, subtree labels) only for
readers that want it.  These tests are the safety net for that: per packet,
every consumer must show the same value for every ddi field, and each one
must still get everything it reads.  Consumers are compared with each other,
not with hard-coded values, so that they hold on every capture:

* `-T fields` (every registered ddi field, every occurrence),
* `-T json`, `-T ek` and `-T pdml` (the whole tree: the details view), and
  `-T json -e` / `-T ek -e`,
* `-V` (the details pane as text: each line is PDML's showname),
* each text field alone (one `-e`, one custom column): asking for all
  fields at once would hide a field whose text is not built on its own,
* `-Y` on each kind of field (boolean, string, unsigned, double, FT_NONE),
  and `-T fields` under `-Y` (the same values, only fewer packets),
* the expert tap (`-z expert`) against the tree's `_ws.expert` items,
* the `-z ddi,tree` stats tree and the `-z ddi,sources,json` report against
  the packets' fields,
* custom columns (`gui.column.format`) in the summary line and, where the
  version allows it, as `-T fields -e _ws.col.<title>`,
* the colouring rules of the Darknet profile (`--color`),

each in one pass and with `-2` (the corpus captures and the runs with
extra preferences with `-2` only, to keep the run short).  The captures
(captures() below) together produce every registered ddi field but the
ones NEVER_PRODUCED names; a test fails if that changes either way.  The
GUI's details pane (DetailsPane) and Expert Information dialog are in
test_gui.py.
"""
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import ddi_tshark as T
from test_expert import expert_rows
from test_profile import colour_rules, install_profile
from test_stats import children, parse_tree

SEP = "\x1f"  # -T fields aggregator: no ddi text contains it
SEED = os.path.join(T.CAPTURES, "seed-conficker.pcapng")

# Registered ddi fields that none of the captures below produces (nor any
# other capture of the repository or the corpus, checked 2026-12-05).
NEVER_PRODUCED = {
    "ddi.backscatter.victim6": "no IPv6 backscatter that names its victim",
    "ddi.expert.nat.ttl": "no source whose TTL moves by more than 2 hops again and again under one fingerprint",
    "ddi.expert.nat.multi_os": "no address that sends SYNs of two OS families",
    "ddi.expert.nat.ipid": "no address with two interleaved IP-ID counter sequences",
}
# Fields whose label shows the evidence behind the value rather than the value.
LABEL_IS_EVIDENCE = {"ddi.exchange"}


def _registered():
    """{abbrev: (name, type)} of every registered ddi field."""
    out, _ = T.tshark(["-G", "fields"], own_db=None)
    res = {}
    for ln in out.splitlines():
        c = ln.split("\t")
        if c[0] == "F" and c[2].startswith("ddi."):
            res[c[2]] = (c[1], c[3])
    return res


class Case:
    """One capture read one way: path, -2 or not, extra preferences."""

    def __init__(self, name, path, two_pass, opts=()):
        self.name, self.path, self.two_pass, self.opts = name, path, two_pass, list(opts)

    def __repr__(self):
        return "%s%s%s" % (self.name, " -2" if self.two_pass else "", "".join(" -o " + o for o in self.opts))

    def run(self, args, **kw):
        pre = ["-2"] if self.two_pass else []
        return T.tshark(pre + ["-r", self.path] + list(args), extra_opts=self.opts, **kw)[0]


def _slice(path, frames, name):
    """The first FRAMES frames of PATH, in the stage (editcap), for a big capture."""
    dst = os.path.join(T.STAGE, "files", name)
    if not os.path.exists(dst):
        os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
        subprocess.run(["editcap", "-r", path, dst, "1-%d" % frames], check=True, capture_output=True)
        os.chmod(dst, 0o644)
    return dst


def _seed_state():
    """A state file written after the seed (ddi.state_out), in a folder tshark's user may write to."""
    folder = os.path.join(T.STAGE, "state")
    path = os.path.join(folder, "seed.state")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, 0o777)
        T.tshark(["-r", SEED, "-T", "fields", "-e", "ddi.verdict"], extra_opts=["ddi.state_out:" + path])
    return path


def captures():
    """(name, path, preference sets) of the captures; the corpus ones only if
    the corpus is there (the coverage test then says what is missing)."""
    caps = [(n, os.path.join(T.CAPTURES, n), [()]) for n in
            ("seed-conficker.pcapng", "netns-backscatter.pcapng", "netns-scanners.pcapng", "netns-stacks.pcapng",
             "ipid-classes.pcapng")]
    # the expert items that only preferences raise: the seed with a full
    # source table, a missing database and a missing state file; the stacks
    # with the seed's state carried over (the capture is 16 years later)
    caps[0] = (caps[0][0], caps[0][1], [(), ("ddi.max_sources:2",), ("ddi.p0f_db:/nonexistent/p0f.fp",),
                                        ("ddi.state_in:/nonexistent/ddi.state",)])
    caps[3] = (caps[3][0], caps[3][1], [(), ("ddi.state_in:" + _seed_state(), "ddi.state_max_gap:1000000000")])
    if os.path.isdir(T.CORPUS):
        for n in ("sv__bug-4810_pppoe-session-http.pcap", "zeek__pppoe-over-qinq.pcap", "sv__bug-6733_input.pcap"):
            p = os.path.join(T.CORPUS, n)
            if os.path.exists(p):
                caps.append((n, p, [()], (True,)))
        flood = os.path.join(T.CORPUS, "stopddos__pkt.TCP.synflood.spoofed.pcap")
        if os.path.exists(flood) and shutil.which("editcap"):
            # SYNs repeated with the same ISN (ddi.retry.duplicate) from frame 85 on
            caps.append(("synflood[1-400]", _slice(flood, 400, "synflood-1-400.pcap"), [()], (True,)))
    return caps


def cases():
    """The repository captures in one pass and with -2; the corpus ones and
    the preference runs with -2 only (run time)."""
    res = []
    for cap in captures():
        name, path, optsets = cap[:3]
        modes = cap[3] if len(cap) > 3 else (False, True)
        for opts in optsets:
            for two in (modes if not opts else (True,)):
                res.append(Case(name, path, two, opts))
    return res


# ------------------------------------------------------------------ readers

def norm(value, ftype):
    """A value as a string every consumer agrees on: booleans as True/False
    (tshark writes 1, True or a JSON boolean), numbers JSON may type as such."""
    if ftype == "FT_BOOLEAN":
        if value in (True, "1", "True", "true"):
            return "True"
        if value in (False, "0", "False", "false"):
            return "False"
        raise AssertionError("not a boolean: %r" % (value,))
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return value


def untruncated(text):
    """(text, was cut): a label or column longer than Wireshark keeps is cut
    and marked: a label after its field name, " [truncated]" in 4.0 and
    " [\u2026]" from 4.2 on, which puts it first in a label without a name
    ("[\u2026] " once the indent is stripped); a column with a trailing
    ellipsis."""
    for mark in (" [truncated]", " [\u2026]"):
        if mark in text:
            return text.replace(mark, "", 1), True
    if text.startswith("[\u2026] "):
        return text[len("[\u2026] "):], True
    if text.endswith("\u2026"):
        return text[:-1], True
    return text, False


def read_fields(case, fields):
    """-T fields, every occurrence: ({frame: {abbrev: [values]}} (empty lists dropped),
    {frame: innermost IPv4 source})."""
    args = ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=" + SEP,
            "-e", "frame.number", "-e", "ip.src"]
    for f in fields:
        args += ["-e", f]
    rows = _parse_fields(case.run(args), ["ip.src"] + list(fields))
    return ({fr: {f: v for f, v in r.items() if f != "ip.src"} for fr, r in rows.items()},
            {fr: r["ip.src"][-1] for fr, r in rows.items() if "ip.src" in r})


def _parse_fields(out, fields):
    rows = {}
    for line in out.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(fields) + 1 - len(vals))
        rows[int(vals[0])] = {f: v.split(SEP) for f, v in zip(fields, vals[1:]) if v != ""}
    return rows


def _pairs(pairs):
    return pairs  # keep repeated keys: a list of (key, value)


def _walk_json(pairs, out):
    """Collect fields, text items and expert messages of a -T json ddi layer."""
    for k, v in pairs:
        if k == "_ws.expert":
            msg = [m for kk, m in v if kk == "_ws.expert.message"]
            out["experts"].extend(msg)
            out["expert_hfs"].extend(kk for kk, _ in v if kk.startswith("ddi."))
        elif k.endswith("_tree") and isinstance(v, list):
            _walk_json(v, out)
        elif k.startswith("ddi."):
            vals = v if isinstance(v, list) and v and not isinstance(v[0], tuple) else [v]
            out["fields"].setdefault(k, []).extend(vals)
        else:  # a text item: its label is the key
            out["labels"].append(k)
            if isinstance(v, list):
                _walk_json(v, out)


def read_json(case):
    """-T json: {frame: {"fields": {abbrev: [values]}, "labels": [...], "experts": [...]}}."""
    pkts = json.loads(case.run(["-T", "json"]), object_pairs_hook=_pairs)
    res = {}
    for pkt in pkts:
        layers = dict(dict(dict(pkt)["_source"])["layers"])
        frame = int(dict(layers["frame"])["frame.number"])
        out = {"fields": {}, "labels": [], "experts": [], "expert_hfs": []}
        if "ddi" in layers:
            _walk_json(layers["ddi"], out)
        res[frame] = out
    return res


def read_ek(case, registered):
    """-T ek whole tree: {frame: {"fields": {abbrev: [values]}, "labels": [...], "experts": [...]}}.
    4.0 repeats a key for repeated fields, 4.4+ writes one array."""
    by_key = {"ddi_" + f.replace(".", "_"): f for f in registered}
    res = {}
    for line in case.run(["-T", "ek"]).splitlines():
        if not line.strip():
            continue
        doc = dict(json.loads(line, object_pairs_hook=_pairs))
        if "layers" not in doc:
            continue
        layers = dict(doc["layers"])
        frame = int(dict(layers["frame"])["frame_frame_number"])
        out = {"fields": {}, "labels": [], "experts": [], "expert_hfs": []}

        def many(v):
            return v if isinstance(v, list) and not (v and isinstance(v[0], tuple)) else [v]

        for k, v in layers.get("ddi", []):
            if k == "text":
                out["labels"].extend(many(v))
            elif k == "_ws_expert":
                for ex in many(v):
                    for kk, m in ex:
                        if kk == "_ws_expert__ws_expert_message":
                            out["experts"].append(m)
                        elif kk in by_key:
                            out["expert_hfs"].append(by_key[kk])
            elif k in by_key:
                out["fields"].setdefault(by_key[k], []).extend(many(v))
            elif k.startswith("ddi_"):
                raise AssertionError("%r frame %d: unknown ek key %r" % (case, frame, k))
        res[frame] = out
    return res


def read_pdml(case):
    """-T pdml: {frame: {"fields": {abbrev: [show]}, "lines": [(depth, text)], "items": [(abbrev, showname, show)],
    "experts": [(severity, group, message, expert field)], "labels": [...]}}; lines are what -V prints
    (hidden fields left out)."""
    res = {}
    root = ET.fromstring(case.run(["-T", "pdml"]))
    for packet in root.iter("packet"):
        frame = None
        out = {"fields": {}, "lines": [], "items": [], "experts": [], "labels": []}
        for proto in packet.iter("proto"):
            if proto.get("name") == "frame":
                frame = int(proto.find("field[@name='frame.number']").get("show"))
            if proto.get("name") != "ddi":
                continue
            out["lines"].append((0, proto.get("showname")))

            def walk(el, depth):
                for f in el.findall("field"):
                    name = f.get("name", "")
                    if name == "_ws.expert":
                        sub = {c.get("name"): c for c in f.findall("field")}
                        sev = sub["_ws.expert.severity"].get("showname").split(": ", 1)[1]
                        grp = sub["_ws.expert.group"].get("showname").split(": ", 1)[1]
                        hf = [n for n in sub if n.startswith("ddi.")]
                        out["experts"].append((sev, grp, sub["_ws.expert.message"].get("show"), hf[0] if hf else None,
                                               f.get("showname")))
                    if f.get("hide") == "yes":
                        continue
                    text = f.get("showname") if name else f.get("show")
                    out["lines"].append((depth, text))
                    if name.startswith("ddi."):
                        out["fields"].setdefault(name, []).append(f.get("show"))
                        out["items"].append((name, f.get("showname"), f.get("show")))
                    elif not name:
                        out["labels"].append(f.get("show"))
                    walk(f, depth + 1)

            walk(proto, 1)
        res[frame] = out
    return res


def read_verbose(case):
    return ddi_sections(case.run(["-V"]))


def ddi_sections(text):
    """-V text (or the GUI's copy of its details pane): {frame: [(depth,
    text)]} of the ddi section, generated items' brackets removed."""
    res, frame, inside = {}, None, False
    for line in text.splitlines():
        m = re.match(r"^Frame (\d+): ", line)
        if m:
            frame, inside = int(m.group(1)), False
            res[frame] = []
            continue
        if not line.strip():
            inside = False
            continue
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        if indent == 0:
            inside = untruncated(text)[0].startswith("Deep Darknet Inspection")
        if inside:
            res[frame].append((indent // 4, text))
    return res


def pmap(fn, items, workers=2):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(fn, items))


# ------------------------------------------------------------------ shared data

class Data:
    """Every consumer's view of every case, read once per test process."""
    ready = False

    @classmethod
    def load(cls):
        if cls.ready:
            return
        cls.registered = _registered()
        cls.valued = sorted(f for f, (_, t) in cls.registered.items() if t != "FT_NONE")
        cls.cases = cases()

        def one(case):
            fields, srcs = read_fields(case, cls.valued)
            return {"fields": fields, "src": srcs, "json": read_json(case),
                    "ek": read_ek(case, cls.registered), "pdml": read_pdml(case), "V": read_verbose(case)}

        cls.views = dict(zip(map(repr, cls.cases), pmap(one, cls.cases)))
        cls.ready = True


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        Data.load()
        cls.D = Data

    def ftype(self, f):
        return self.D.registered[f][1]

    def normed(self, f, values):
        return sorted(norm(v, self.ftype(f)) for v in values)


# ------------------------------------------------------------------ the tests

class FieldCoverage(Base):
    def test_every_registered_field_is_produced_by_some_capture(self):
        if not os.path.isdir(T.CORPUS):
            self.skipTest("corpus not found in %s: the repository captures alone do not produce every field"
                          % T.CORPUS_SOURCE)
        seen = set()
        for v in self.D.views.values():
            for p in v["pdml"].values():
                seen.update(p["fields"])
                seen.update(e[3] for e in p["experts"] if e[3])
        missing = sorted(set(self.D.registered) - seen)
        self.assertEqual(missing, sorted(NEVER_PRODUCED), "fields no capture produces (NEVER_PRODUCED is out of date)")
        for f in NEVER_PRODUCED:
            self.assertIn(f, self.D.registered, "NEVER_PRODUCED names an unregistered field")

    def test_every_case_produces_ddi_output(self):
        for name, v in self.D.views.items():
            self.assertTrue(any(p["fields"] for p in v["pdml"].values()), name)


class SameValuesEverywhere(Base):
    """-T fields = -T json = -T ek = PDML show, per packet and field."""

    def test_same_packets(self):
        for name, v in self.D.views.items():
            frames = sorted(v["fields"])
            for c in ("json", "ek", "pdml", "V"):
                self.assertEqual(sorted(v[c]), frames, "%s: %s lists other packets" % (name, c))

    def test_every_field_has_the_same_values_in_every_consumer(self):
        for name, v in self.D.views.items():
            with self.subTest(case=name):
                diffs = []
                for frame, frow in v["fields"].items():
                    for f in set(frow) | set(v["pdml"][frame]["fields"]) | set(v["json"][frame]["fields"]) | \
                            set(v["ek"][frame]["fields"]):
                        if self.ftype(f) == "FT_NONE":
                            continue
                        want = self.normed(f, frow.get(f, []))
                        for c in ("json", "ek", "pdml"):
                            got = self.normed(f, v[c][frame]["fields"].get(f, []))
                            if got != want:
                                diffs.append((frame, f, c, got[:3], want[:3]))
                self.assertEqual(diffs[:5], [], "%s: %d differences (frame, field, consumer, its values, "
                                                "-T fields values)" % (name, len(diffs)))

    def test_subtree_labels_are_the_same_in_json_ek_and_pdml(self):
        for name, v in self.D.views.items():
            for frame, p in v["pdml"].items():
                self.assertEqual(sorted(v["json"][frame]["labels"]), sorted(p["labels"]), (name, frame))
                self.assertEqual(sorted(v["ek"][frame]["labels"]), sorted(p["labels"]), (name, frame))
                self.assertTrue(all(p["labels"]), "%s frame %d: an empty label" % (name, frame))

    def test_expert_messages_are_the_same_in_json_ek_and_pdml(self):
        for name, v in self.D.views.items():
            for frame, p in v["pdml"].items():
                msgs = sorted(e[2] for e in p["experts"])
                self.assertEqual(sorted(v["json"][frame]["experts"]), msgs, (name, frame))
                self.assertEqual(sorted(v["ek"][frame]["experts"]), msgs, (name, frame))
                self.assertEqual(sorted(v["json"][frame]["expert_hfs"]), sorted(e[3] for e in p["experts"] if e[3]),
                                 (name, frame))


class DetailsText(Base):
    """-V prints PDML's showname lines, and each label carries its value."""

    def test_verbose_lines_are_pdml_shownames(self):
        for name, v in self.D.views.items():
            for frame, p in v["pdml"].items():
                self.assertEqual(v["V"][frame], p["lines"] if p["fields"] else [], (name, frame))

    def test_each_label_shows_its_field_name_and_value(self):
        for name, v in self.D.views.items():
            for frame, p in v["pdml"].items():
                for abbrev, showname, show in p["items"]:
                    label, ftype = self.D.registered[abbrev]
                    if ftype == "FT_NONE":
                        continue  # expert items: checked below
                    text, cut = untruncated(showname)
                    self.assertTrue(text.startswith(label + ": "), "%s frame %d: %r does not start with %r" %
                                    (name, frame, showname, label))
                    shown = text[len(label) + 2:]
                    if ftype == "FT_BOOLEAN":
                        self.assertEqual(shown, norm(show, ftype), (name, frame, abbrev))
                    elif abbrev in LABEL_IS_EVIDENCE:
                        self.assertTrue(shown.strip() and shown != show, (name, frame, abbrev, shown))
                    elif cut:
                        self.assertTrue(show.startswith(shown) and len(showname) >= 200, (name, frame, abbrev))
                    else:
                        # a unit (4.2+ writes seconds as "0.5s"), a source or an explanation may follow
                        self.assertTrue(shown == show or (shown.startswith(show) and
                                                          (shown[len(show)] in " :" or shown[len(show)].isalpha())),
                                        "%s frame %d: %s shows %r, its value is %r" % (name, frame, abbrev, shown,
                                                                                      show))

    def test_expert_items_carry_their_message(self):
        for name, v in self.D.views.items():
            for frame, p in v["pdml"].items():
                for sev, grp, msg, hf, showname in p["experts"]:
                    if not hf:
                        continue  # not ddi's
                    self.assertTrue(msg, (name, frame, hf))
                    full = "Expert Info (%s/%s): %s" % (sev, grp, msg)
                    text, cut = untruncated(showname)
                    if cut:  # a label stops at 240 characters
                        self.assertTrue(full.startswith(text.strip()), (name, frame, showname))
                    else:
                        self.assertEqual(showname, full, (name, frame))
                    self.assertIn((hf, msg, ""), [(a, s, sh) for a, s, sh in p["items"]], (name, frame))

    def test_subtree_labels_carry_their_fields(self):
        """The summary line of a subtree names what its fields say."""
        for name, v in self.D.views.items():
            for frame, p in v["pdml"].items():
                f, labels = p["fields"], p["labels"]
                if not f:
                    continue
                proto = untruncated(p["lines"][0][1])[0]
                self.assertTrue(proto.startswith("Deep Darknet Inspection"), (name, frame, proto))
                verdict = f.get("ddi.verdict", [""])[0]
                summary = proto[len("Deep Darknet Inspection: "):]
                self.assertTrue(verdict and verdict.startswith(summary), (name, frame, proto, verdict))
                checks = [("ddi.os", "Probable OS: "), ("ddi.tool", "Scanning tool: "),
                          ("ddi.backscatter", "Backscatter: ")]
                for field, prefix in checks:
                    for value in f.get(field, []):
                        self.assertTrue(any(lb.startswith(prefix) and value in lb for lb in labels),
                                        "%s frame %d: no %r label with %r: %s" % (name, frame, prefix, value, labels))
                if "ddi.ipid.gap" in f:  # "IP ID <id>: <class>" once there is a gap
                    self.assertTrue(any(re.match(r"IP ID \d+: " + re.escape(f["ddi.ipid.class"][0]) + "$", lb)
                                        for lb in labels), (name, frame, labels))
                if "ddi.mss" in f:
                    self.assertIn("Link: MSS %s -> MTU %s: " % (f["ddi.mss"][0], f["ddi.mss.mtu"][0]),
                                  " ".join(labels), (name, frame))
                if "ddi.nat" in f:
                    self.assertIn("NAT / middle box suspected", labels, (name, frame))
                for count in f.get("ddi.retry.count", []):
                    want = "SYN: first of its connection" if count == "0" else "SYN retransmission #%s," % count
                    self.assertTrue(any(lb.startswith(want) for lb in labels), (name, frame, want, labels))


class FactsALazyBugWouldBreak(Base):
    """Absolute facts, per packet, in every consumer."""

    def values(self, view, frame, field):
        return [view["fields"][frame].get(field, [])] + [view[c][frame]["fields"].get(field, [])
                                                          for c in ("json", "ek", "pdml")]

    def test_verdicts_come_with_their_evidence(self):
        pairs = [("ddi.nat", "ddi.nat.reason"), ("ddi.nat", "ddi.nat.kind"), ("ddi.os", "ddi.os.evidence"),
                 ("ddi.tool", "ddi.tool.evidence"), ("ddi.backscatter", "ddi.backscatter.evidence"),
                 ("ddi.os", "ddi.os.sig")]
        counted = collections.Counter()
        for name, v in self.D.views.items():
            for frame in v["fields"]:
                for claim, evidence in pairs:
                    if not v["fields"][frame].get(claim):
                        continue
                    counted[claim] += 1
                    for vals in self.values(v, frame, evidence):
                        self.assertTrue(vals and all(x.strip() for x in vals),
                                        "%s frame %d: %s without %s" % (name, frame, claim, evidence))
        for claim in ("ddi.nat", "ddi.os", "ddi.tool", "ddi.backscatter"):
            self.assertGreater(counted[claim], 0, "no capture exercises " + claim)

    def test_evidence_is_split_into_clues_in_the_tree(self):
        for name, v in self.D.views.items():
            for frame, p in v["pdml"].items():
                for ev in ("ddi.os.evidence", "ddi.nat.reason"):
                    for text in p["fields"].get(ev, []):
                        self.assertTrue(set(text.split("; ")) <= set(p["fields"].get("ddi.clue", [])),
                                        (name, frame, ev))

    def test_rates_and_verdicts_raise_their_experts(self):
        # which claim raises which expert item (packet-ddi.c)
        raises = {"ddi.ipid.rate": "ddi.expert.ipid_rate", "ddi.tool": "ddi.expert.tool",
                  "ddi.backscatter": "ddi.expert.backscatter", "ddi.mss.pppoe": "ddi.expert.mss",
                  "ddi.conficker": "ddi.expert.conficker", "ddi.twoway": "ddi.expert.twoway"}
        for name, v in self.D.views.items():
            for frame, p in v["pdml"].items():
                hfs = collections.Counter(e[3] for e in p["experts"])
                for field, hf in raises.items():
                    n = sum(1 for x in p["fields"].get(field, []) if x not in ("0", "False"))
                    self.assertEqual(hfs[hf], n, "%s frame %d: %d %s, %d %s" % (name, frame, n, field, hfs[hf], hf))
                retries = sum(1 for x in p["fields"].get("ddi.retry.count", []) if x != "0")
                self.assertEqual(hfs["ddi.expert.retry"], retries, (name, frame))
                nat = sum(1 for e in hfs if e and e.startswith("ddi.expert.nat."))
                self.assertEqual(nat, len(p["fields"].get("ddi.nat.kind", [])), (name, frame))

    def test_seed_conficker_in_every_consumer(self):
        v = self.D.views[repr(Case("seed-conficker.pcapng", SEED, True))]
        conf = [f for f in v["fields"] if v["fields"][f].get("ddi.conficker")]
        self.assertEqual(len(conf), 2)
        for frame in conf:
            for c in ("json", "ek", "pdml"):
                msgs = [m[2] if c == "pdml" else m for m in v[c][frame]["experts"]]
                self.assertTrue(any(m.startswith("Conficker-style SYN retry") for m in msgs), (c, frame))
            self.assertTrue(v["fields"][frame]["ddi.nat.reason"][0])


class SelectedFieldsJson(Base):
    """-T json -e and -T ek -e (the forms stores ingest) carry the same values as -T fields."""

    def test_json_and_ek_with_e(self):
        picked = [c for c in self.D.cases if not c.opts and (c.name, c.two_pass) in
                  {("seed-conficker.pcapng", False), ("seed-conficker.pcapng", True),
                   ("netns-backscatter.pcapng", True), ("netns-stacks.pcapng", False)}]
        self.assertEqual(len(picked), 4)
        args = ["-e", "frame.number"]
        for f in self.D.valued:
            args += ["-e", f]

        def one(job):
            case, fmt = job
            return case.run(["-T", fmt] + args)

        jobs = [(c, fmt) for c in picked for fmt in ("json", "ek")]
        for (case, fmt), out in zip(jobs, pmap(one, jobs)):
            if fmt == "json":
                layers = [p["_source"]["layers"] for p in json.loads(out)]
                key = lambda f: f  # noqa: E731
            else:
                layers = [json.loads(ln)["layers"] for ln in out.splitlines() if ln.strip() and '"layers"' in ln]
                key = lambda f: f.replace(".", "_")  # noqa: E731
            want = self.D.views[repr(case)]["fields"]
            got = {}
            for lay in layers:
                frame = int(lay[key("frame.number")][0])
                got[frame] = {f: self.normed(f, lay[key(f)]) for f in self.D.valued if lay.get(key(f))}
            self.assertEqual(sorted(got), sorted(want), (case, fmt))
            for frame, row in want.items():
                self.assertEqual(got[frame], {f: self.normed(f, v) for f, v in row.items()},
                                 "%r -T %s -e, frame %d" % (case, fmt, frame))


class OneFieldAlone(Base):
    """A reader that asks for one text field only (one -e, one custom column)
    gets the same text as one that asks for every field: text is built per
    field, so asking for all of them at once would hide a field that is
    not built when it alone is wanted."""

    def text_fields(self):
        return [f for f, (_, t) in sorted(self.D.registered.items()) if t == "FT_STRING"]

    def test_each_text_field_alone_in_fields(self):
        jobs = []
        for f in self.text_fields():
            # the capture where it occurs most, in the pass mode where it occurs most
            best = {}
            for case in self.D.cases:
                if case.opts:
                    continue
                n = sum(len(r.get(f, [])) for r in self.D.views[repr(case)]["fields"].values())
                if n and n >= best.get(case.name, (0, None))[0]:
                    best[case.name] = (n, case)
            for n, case in sorted(best.values(), key=lambda x: -x[0])[:1]:
                jobs.append((f, case, None))
        self.assertGreater(len({j[0] for j in jobs}), 20)

        def one(job):
            f, case, flt = job
            args = (["-Y", flt] if flt else []) + ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=" + SEP,
                                                   "-e", "frame.number", "-e", f]
            return _parse_fields(case.run(args), [f])

        for (f, case, flt), rows in zip(jobs, pmap(one, jobs, workers=4)):
            all_rows = self.D.views[repr(case)]["fields"]
            want = {fr: {f: r[f]} if f in r else {} for fr, r in all_rows.items() if fr in rows}
            self.assertEqual(rows, want, "%r: -e %s alone%s" % (case, f, " -Y " + flt if flt else ""))

    def test_text_read_only_by_the_filter_of_a_fields_run(self):
        """`-T fields` reads who references what once a pass (packet-ddi.c,
        pass_reads): a text field named only by -Y must still be built on
        every packet, in one pass and in two."""
        jobs = []
        for f in ("ddi.os.evidence", "ddi.nat.reason", "ddi.tool.evidence", "ddi.backscatter.evidence", "ddi.verdict"):
            best = None
            for case in self.D.cases:
                if case.opts:
                    continue
                n = sum(f in r for r in self.D.views[repr(case)]["fields"].values())
                if n and (best is None or n > best[0]):
                    best = (n, case)
            if best:
                jobs.append((f, best[1]))
        self.assertGreaterEqual(len(jobs), 4)

        def one(job):
            f, case = job
            # the text itself, not only the item, must exist for the filter
            return _parse_fields(case.run(["-Y", '%s matches "."' % f, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=" + SEP,
                                           "-e", "frame.number", "-e", "ddi.os"]), ["ddi.os"])

        for (f, case), rows in zip(jobs, pmap(one, jobs, workers=4)):
            all_rows = self.D.views[repr(case)]["fields"]
            want = {fr: {"ddi.os": r["ddi.os"]} if "ddi.os" in r else {} for fr, r in all_rows.items()
                    if any(r.get(f, []))}
            self.assertTrue(want, "%r: %s" % (case, f))
            self.assertEqual(rows, want, "%r: -Y '%s matches \".\"' -e ddi.os" % (case, f))

    def test_each_evidence_field_alone_as_a_custom_column(self):
        unproduced = []
        for f in ("ddi.os.evidence", "ddi.nat.reason", "ddi.tool.evidence", "ddi.backscatter.evidence",
                  "ddi.verdict", "ddi.clue", "ddi.exchange"):
            cases = [c for c in self.D.cases if not c.opts and
                     any(f in r for r in self.D.views[repr(c)]["fields"].values())]
            if not cases and not os.path.isdir(T.CORPUS):
                unproduced.append(f)  # the repository's captures alone do not produce it
                continue
            self.assertTrue(cases, f)
            case = cases[0]
            pref = 'gui.column.format:"No.","%m","X","%Cus:' + f + ':0:R"'
            rows = T.column_rows((["-2"] if case.two_pass else []) + ["-r", case.path], ["No.", "X"],
                                 extra_opts=[pref])
            fields = self.D.views[repr(case)]["fields"]
            for r in rows:
                want = ",".join(fields[int(r["No."])].get(f, []))
                got = untruncated(r["X"])[0]
                self.assertTrue(got == want or (len(got) >= 200 and want.startswith(got)),
                                "%r frame %s: column %s %r, -T fields %r" % (case, r["No."], f, r["X"], want))
            self.assertTrue(any(r["X"] for r in rows), (case, f))
        if unproduced:
            print("\nnot checked as a column without the corpus (%s): %s" % (T.CORPUS, ", ".join(unproduced)),
                  file=sys.stderr)


# ------------------------------------------------------------------ display filters

class DisplayFilters(Base):
    """-Y on ddi fields selects exactly the packets whose -T fields say so, and
    -T fields under -Y gives the same values as without it."""

    def cases_for_filters(self, which):
        """A few of the cases (each -Y is a tshark run)."""
        return [c for c in self.D.cases if not c.opts and (c.name, c.two_pass) in which]

    def selected(self, case, flt):
        """Frames -Y selects, read from tshark's plain summary lines: -T fields
        would turn on everything ddi explains (tshark then references every
        protocol field, _ws.expert too), and so hide text missing for a filter."""
        out = case.run(["-Y", flt, "-o", 'gui.column.format:"No.","%m"'])
        return sorted(int(x) for x in out.split())

    def test_presence_of_every_field(self):
        jobs = []
        for case in self.cases_for_filters({("seed-conficker.pcapng", True), ("netns-backscatter.pcapng", False)}):
            v = self.D.views[repr(case)]
            present = set()
            for p in v["pdml"].values():
                present.update(p["fields"])
                present.update(e[3] for e in p["experts"] if e[3])
            for f in sorted(present):
                want = sorted(fr for fr, p in v["pdml"].items()
                              if f in p["fields"] or any(e[3] == f for e in p["experts"]))
                jobs.append((case, f, want))
        self.assertGreater(len(jobs), 45)
        got = pmap(lambda j: self.selected(j[0], j[1]), jobs, workers=4)
        for (case, f, want), sel in zip(jobs, got):
            self.assertEqual(sel, want, "%r: -Y %s" % (case, f))

    def value_filters(self, v):
        """(filter, predicate on a -T fields row): each kind of field, values taken from the capture."""
        rows = v["fields"]
        common = lambda f: collections.Counter(x for r in rows.values() for x in r.get(f, [])).most_common(1)  # noqa
        flts = [("ddi.nat == " + T.BOOL_TRUE, lambda r: T.is_true(r.get("ddi.nat", [""])[0])),
                ("ddi.conficker", lambda r: "ddi.conficker" in r),
                ("!ddi.mss.pppoe", lambda r: "ddi.mss.pppoe" not in r)]
        for f in ("ddi.os", "ddi.nat.kind", "ddi.tool", "ddi.backscatter", "ddi.ipid.class"):
            for val, _ in common(f):
                flts.append(('%s == "%s"' % (f, val), lambda r, f=f, val=val: val in r.get(f, [])))
        for f, word in (("ddi.nat.reason", "port"), ("ddi.os.evidence", "TTL"), ("ddi.tool.evidence", "window"),
                        ("ddi.backscatter.evidence", "SYN")):
            flts.append(('%s contains "%s"' % (f, word), lambda r, f=f, w=word: any(w in x for x in r.get(f, []))))
        for f in ("ddi.mss", "ddi.retry.count", "ddi.ipid.gap", "ddi.ttl.initial", "ddi.backscatter.port"):
            for val, _ in common(f):
                flts.append(("%s == %s" % (f, val), lambda r, f=f, val=val: val in r.get(f, [])))
                flts.append(("%s > %s" % (f, val), lambda r, f=f, val=int(val): any(int(x) > val for x in r.get(f, []))))
        for f in ("ddi.ipid.rate", "ddi.retry.interval", "ddi.ipid.dt"):
            vals = sorted(float(x) for r in rows.values() for x in r.get(f, []))
            if vals:
                mid = vals[len(vals) // 2]
                flts.append(("%s >= %r" % (f, mid), lambda r, f=f, m=mid: any(float(x) >= m for x in r.get(f, []))))
                flts.append(("%s < %r" % (f, mid), lambda r, f=f, m=mid: any(float(x) < m for x in r.get(f, []))))
        return flts

    def test_values_of_each_kind(self):
        jobs = []
        for case in self.cases_for_filters({("seed-conficker.pcapng", False), ("netns-stacks.pcapng", True),
                                            ("netns-backscatter.pcapng", True)}):
            v = self.D.views[repr(case)]
            for flt, pred in self.value_filters(v):
                jobs.append((case, flt, sorted(fr for fr, r in v["fields"].items() if pred(r))))
        got = pmap(lambda j: self.selected(j[0], j[1]), jobs, workers=4)
        nonempty = 0
        for (case, flt, want), sel in zip(jobs, got):
            self.assertEqual(sel, want, "%r: -Y '%s'" % (case, flt))
            nonempty += bool(want)
        self.assertGreater(nonempty, 20)

    def test_fields_under_a_filter_are_the_fields_without_it(self):
        for case in self.cases_for_filters({("seed-conficker.pcapng", False), ("seed-conficker.pcapng", True),
                                            ("netns-stacks.pcapng", True)}):
            v = self.D.views[repr(case)]
            for flt in ("ddi.nat", "tcp", 'ddi.os.evidence contains "TTL"'):
                args = ["-Y", flt, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E",
                        "aggregator=" + SEP, "-e", "frame.number"]
                for f in self.D.valued:
                    args += ["-e", f]
                rows = _parse_fields(case.run(args), self.D.valued)
                self.assertEqual(rows, {fr: v["fields"][fr] for fr in rows}, "%r -Y %s" % (case, flt))
                if flt == "ddi.nat":
                    self.assertEqual(sorted(rows), sorted(fr for fr, r in v["fields"].items() if "ddi.nat" in r))


# ------------------------------------------------------------------ expert tap

SECTION = {"Errors": "Error", "Warns": "Warning", "Notes": "Note", "Chats": "Chat"}


class ExpertTapAgainstTree(Base):
    def test_z_expert_lists_exactly_the_trees_expert_items(self):
        for case in self.D.cases:
            v = self.D.views[repr(case)]
            want = collections.Counter()
            for p in v["pdml"].values():
                for sev, grp, msg, hf, _ in p["experts"]:
                    if hf:
                        want[(sev, grp, msg)] += 1
            pre = ["-2"] if case.two_pass else []
            rows, _ = expert_rows(pre + ["-z", "expert", "-r", case.path] + sum((["-o", o] for o in case.opts), []))
            got = collections.Counter()
            for section, count, group, proto, summary in rows:
                if proto == "DDI":
                    got[(SECTION[section], group, summary)] += count
            self.assertEqual(got, want, repr(case))

    def test_seed_conficker_expert_is_listed(self):
        rows, _ = expert_rows(["-2", "-z", "expert", "-r", SEED])
        conf = [r for r in rows if r[3] == "DDI" and r[4].startswith("Conficker-style SYN retry")]
        self.assertEqual([(r[0], r[1]) for r in conf], [("Warns", 2)], rows)


# ------------------------------------------------------------------ -z ddi taps

class TapsAgainstFields(Base):
    """The stats tree counts what the packets' fields say; the report's
    per-source facts are the ones its packets show."""

    def test_stats_tree_counts_the_fields(self):
        for case in self.D.cases:
            if case.opts:
                continue
            v = self.D.views[repr(case)]
            pre = ["-2"] if case.two_pass else []
            t = parse_tree(T.tshark(pre + ["-q", "-r", case.path, "-z", "ddi,tree"])[0])
            rows = v["fields"]
            analysed = [r for r in rows.values() if r]
            self.assertEqual(t[("ddi packets",)], len(analysed), repr(case))
            per = lambda f: collections.Counter(r[f][0] for r in analysed if f in r)  # noqa: E731
            self.assertEqual(children(t, "ddi packets", "OS family"), dict(per("ddi.os.family")), repr(case))
            self.assertEqual(children(t, "ddi packets", "Scanning tool"), dict(per("ddi.tool")), repr(case))
            self.assertEqual(children(t, "ddi packets", "Backscatter"), dict(per("ddi.backscatter")), repr(case))
            nat = collections.Counter(", ".join(r["ddi.nat.kind"]) for r in analysed if "ddi.nat" in r)
            self.assertEqual(children(t, "ddi packets", "NAT suspected"), dict(nat), repr(case))
            links = collections.Counter()
            for cat in children(t, "ddi packets", "Link type"):
                links.update(children(t, "ddi packets", "Link type", cat))
            self.assertEqual(dict(links), dict(per("ddi.mss.link")), repr(case))
            # the tree's short wording ("stateful (retransmits SYNs)") starts with the field's verdict word;
            # an undetermined sender is not counted there
            senders = collections.Counter()
            for label, n in children(t, "ddi packets", "Sender type").items():
                senders[label.split(" ")[0]] += n
            self.assertEqual(dict(senders), dict(collections.Counter(
                r["ddi.sender"][0].split(":")[0] for r in analysed
                if "ddi.sender" in r and not r["ddi.sender"][0].startswith("undetermined"))), repr(case))

    def test_sources_report_matches_its_packets(self):
        for case in self.D.cases:
            if case.opts:
                continue
            v = self.D.views[repr(case)]
            src_of = v["src"]
            by_src = collections.defaultdict(list)
            for fr, r in v["fields"].items():
                if r and src_of.get(fr):
                    by_src[src_of[fr]].append(r)
            out = T.tshark((["-2"] if case.two_pass else []) + ["-q", "-r", case.path, "-z", "ddi,sources,json"])[0]
            objs = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
            for row in objs[1:]:
                pk = by_src.get(row["src"])
                if not pk:
                    continue  # an IPv6 or tunnelled source: ip.src does not name it
                vals = lambda f: {x for r in pk for x in r.get(f, [])}  # noqa: E731
                if row["os"]:
                    self.assertIn(row["os"], vals("ddi.os"), (repr(case), row["src"]))
                if row["nat"]:
                    self.assertIn(row["nat_reason"], vals("ddi.nat.reason"), (repr(case), row["src"]))
                    self.assertTrue(set(row["nat_kinds"]) <= vals("ddi.nat.kind"), (repr(case), row["src"]))
                self.assertTrue(set(row["tools"]) <= vals("ddi.tool"), (repr(case), row["src"], row["tools"]))


# ------------------------------------------------------------------ custom columns

# (title, field): a custom column of each kind of field, long evidence strings
# and a field that can occur more than once in a packet
COLUMNS = [("OS", "ddi.os"), ("OSevidence", "ddi.os.evidence"), ("NAT", "ddi.nat"), ("NATreason", "ddi.nat.reason"),
           ("NATkind", "ddi.nat.kind"), ("MSS", "ddi.mss"), ("Rate", "ddi.ipid.rate"), ("Tool", "ddi.tool"),
           ("ToolEvidence", "ddi.tool.evidence"), ("BS", "ddi.backscatter"),
           ("BSevidence", "ddi.backscatter.evidence"), ("Victim", "ddi.backscatter.victim"),
           ("Clue", "ddi.clue"), ("Verdict", "ddi.verdict")]
COLUMN_PREF = "gui.column.format:" + ",".join('"%s","%s"' % c for c in
                                              [("No.", "%m")] + [(t, "%%Cus:%s:0:R" % f) for t, f in COLUMNS])


class CustomColumns(Base):
    """A custom column shows a field's occurrences joined by commas, in the
    summary line (-T tabs, and plain tshark output) and, on 4.0, as
    -e _ws.col.<title>."""

    def column_cases(self):
        return [c for c in self.D.cases if not c.opts and c.name in ("seed-conficker.pcapng", "netns-scanners.pcapng",
                                                                     "netns-backscatter.pcapng", "netns-stacks.pcapng")]

    def expected(self, row, field):
        vals = [norm(x, self.ftype(field)) for x in row.get(field, [])]
        return ",".join(vals)

    def check(self, case, rows, where):
        v = self.D.views[repr(case)]
        for frame, cols in rows.items():
            for title, field in COLUMNS:
                got, want = T.strip_unit(cols[title]), self.expected(v["fields"][frame], field)
                if self.ftype(field) == "FT_BOOLEAN":
                    got = norm(got, "FT_BOOLEAN") if got else ""
                if got != want:
                    # a column's text has a limit; what is there must be the start of the value
                    got = untruncated(got)[0]
                    self.assertTrue(len(got) >= 200 and want.startswith(got),
                                    "%r %s frame %d column %s (%s): %r, -T fields: %r" % (case, where, frame, title,
                                                                                       field, got, want))

    def test_summary_line(self):
        cases = self.column_cases()
        titles = ["No."] + [t for t, _ in COLUMNS]

        def one(case):
            return T.column_rows((["-2"] if case.two_pass else []) + ["-r", case.path], titles,
                                 extra_opts=[COLUMN_PREF])

        shown = 0
        for case, rows in zip(cases, pmap(one, cases)):
            by = {int(r["No."]): r for r in rows}
            self.assertEqual(sorted(by), sorted(self.D.views[repr(case)]["fields"]), repr(case))
            self.check(case, by, "-T tabs")
            shown += sum(1 for r in rows for t, _ in COLUMNS if r[t])
        self.assertGreater(shown, 500)

    def test_plain_output_and_display_filter(self):
        case = [c for c in self.column_cases() if c.name == "seed-conficker.pcapng" and c.two_pass][0]
        v = self.D.views[repr(case)]
        out = case.run(["-o", COLUMN_PREF])
        lines = out.splitlines()
        self.assertEqual(len(lines), len(v["fields"]))
        for line in lines:
            frame = int(line.split()[0])
            for title, field in COLUMNS:
                want = self.expected(v["fields"][frame], field)
                if want:
                    self.assertIn(want[:200] if self.ftype(field) != "FT_BOOLEAN" else "True", line, (frame, field))
        titles = ["No."] + [t for t, _ in COLUMNS]
        rows = T.column_rows(["-2", "-r", case.path, "-Y", "ddi.nat"], titles, extra_opts=[COLUMN_PREF])
        by = {int(r["No."]): r for r in rows}
        self.assertEqual(sorted(by), sorted(fr for fr, r in v["fields"].items() if "ddi.nat" in r))
        self.check(case, by, "-T tabs -Y ddi.nat")

    def test_ws_col_fields(self):
        if not T.CUSTOM_COLUMN_FIELDS:
            self.skipTest("tshark %s accepts only built-in columns as _ws.col.* with -e" %
                          ".".join(map(str, T.WS_VERSION)))
        for case in self.column_cases():
            args = ["-T", "fields", "-E", "separator=\t", "-e", "frame.number"]
            for t, _ in COLUMNS:
                args += ["-e", "_ws.col." + t]
            out = case.run(args + ["-o", COLUMN_PREF])
            rows = {}
            for line in out.splitlines():
                vals = line.split("\t")
                vals += [""] * (len(COLUMNS) + 1 - len(vals))
                rows[int(vals[0])] = dict(zip([t for t, _ in COLUMNS], vals[1:]))
            self.assertEqual(sorted(rows), sorted(self.D.views[repr(case)]["fields"]), repr(case))
            self.check(case, rows, "-e _ws.col.*")


# ------------------------------------------------------------------ colouring rules

class ColouringRules(Base):
    """tshark --color with the Darknet profile colours each packet with the
    first of the profile's rules whose filter selects it (the seed's frames
    are checked by name in test_profile.py; here other captures, both
    passes)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        install_profile(T._home)

    def test_each_packet_gets_the_first_matching_ddi_rule(self):
        rules = [(n, f) for n, f, _, _, disabled in colour_rules() if not disabled]
        ddi_rules = [r for r in rules if "ddi." in r[1]]
        self.assertEqual(rules[:len(ddi_rules)], ddi_rules)
        coloured = collections.Counter()
        for case in self.D.cases:
            if case.opts or case.name not in ("netns-backscatter.pcapng", "netns-scanners.pcapng",
                                              "netns-stacks.pcapng"):
                continue
            out = case.run(["-C", "Darknet", "--color", "-T", "fields", "-E", "separator=\t", "-e", "frame.number",
                            "-e", "frame.coloring_rule.name"])
            got = dict((int(a), b) for a, b in (ln.split("\t") for ln in out.splitlines()))
            sel = pmap(lambda r: set(int(x) for x in case.run(["-C", "Darknet", "-Y", r[1], "-T", "fields", "-e",
                                                                  "frame.number"]).split()), ddi_rules, workers=4)
            for frame, name in got.items():
                first = next((r[0] for r, s in zip(ddi_rules, sel) if frame in s), None)
                if first:
                    self.assertEqual(name, first, "%r frame %d" % (case, frame))
                    coloured[first] += 1
                else:
                    self.assertFalse(name.startswith("ddi:"), "%r frame %d: %s" % (case, frame, name))
        for name in ("ddi: backscatter", "ddi: known scanner", "ddi: NAT suspected", "ddi: SYN retransmission"):
            self.assertGreater(coloured[name], 0, name)


if __name__ == "__main__":
    T.main()
