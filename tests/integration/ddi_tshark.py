"""Run tshark with the ddi plugin from the build tree, and parse its output.

Wireshark ignores WIRESHARK_PLUGIN_DIR and the personal plugin folder when it
runs as root, so as root tshark is started as user nobody (setpriv) with a
throw-away HOME; as any other user it runs directly.  Every run checks that
ddi really loaded: a test that silently ran without the plugin proves nothing.

User nobody cannot read a checkout in a private folder (root's home, mode
700), so the built plugin, the bundled captures, the signature file and the
shared corpus are staged (copied) into a private temporary folder that only
this process made world-readable: STAGE.  CAPTURES, OWN_DB, CORPUS and
PLUGINS name the staged copies; SOURCE and BUILD stay the real trees.  The
user's own folders are never touched.

The installed tshark's version decides how it spells what it prints
(WS_VERSION, BOOL_TRUE, is_true(), ...): tests compare against what this
tshark writes, not against one version's spelling.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

BUILD = os.path.abspath(os.environ.get("DDI_BUILD_DIR", "build"))
SOURCE = os.environ.get("DDI_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CORPUS = os.environ.get("DDI_CORPUS", os.path.join(SOURCE, "..", "shared", "captures"))

_home = tempfile.mkdtemp(prefix="ddi-home-")
os.chmod(_home, 0o777)

# ------------------------------------------------------------------ staging
STAGE = tempfile.mkdtemp(prefix="ddi-stage-")


def _stage_tree(src, dst):
    """Copy SRC to DST, readable by everyone (files 0644, folders 0755)."""
    shutil.copytree(src, dst, symlinks=False, dirs_exist_ok=True)
    for root, dirs, files in os.walk(dst):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)


def stage_file(path):
    """A world-readable copy of PATH in STAGE (same base name), for a
    program that runs as nobody; copied once."""
    dst = os.path.join(STAGE, "files", os.path.basename(path))
    if not os.path.exists(dst):
        os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
        shutil.copyfile(path, dst)
        os.chmod(dst, 0o644)
    return dst


os.chmod(STAGE, 0o755)
STAGED_BUILD = os.path.join(STAGE, "build")  # a DDI_BUILD_DIR with the plugins only
PLUGINS = os.path.join(STAGED_BUILD, "plugins")
if os.path.isdir(os.path.join(BUILD, "plugins")):
    _stage_tree(os.path.join(BUILD, "plugins"), PLUGINS)
CAPTURES = os.path.join(STAGE, "captures")
_stage_tree(os.path.join(SOURCE, "captures"), CAPTURES)
OWN_DB = os.path.join(STAGE, "signatures", "ddi.fp")
_stage_tree(os.path.join(SOURCE, "signatures"), os.path.dirname(OWN_DB))
CORPUS_SOURCE = CORPUS  # where the corpus really is (for messages)
if os.path.isdir(CORPUS):
    CORPUS = os.path.join(STAGE, "corpus")
    _stage_tree(CORPUS_SOURCE, CORPUS)


def _base_cmd():
    env = ["env", "-i", "PATH=/usr/bin:/bin", "HOME=" + _home, "TZ=UTC", "LANG=C.UTF-8",
           "WIRESHARK_PLUGIN_DIR=" + PLUGINS]
    if os.geteuid() == 0:
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + env
    return env


def tshark(args, own_db=OWN_DB, check=True, extra_opts=()):
    """Run tshark; returns (stdout, stderr)."""
    if args and args[0] == "-G":  # -G must come first and takes no other options
        cmd = _base_cmd() + ["tshark"] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if check and p.returncode != 0:
            raise AssertionError("tshark failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
        return p.stdout, p.stderr
    cmd = _base_cmd() + ["tshark", "-n"]
    if own_db is not None:
        cmd += ["-o", "ddi.own_db:" + own_db]
    for o in extra_opts:
        cmd += ["-o", o]
    cmd += list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError("tshark failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    return p.stdout, p.stderr


def fields(capture, names, two_pass=False, display_filter=None, aggregator=None, **kw):
    """-T fields output as a list of dicts (one per packet): the first
    occurrence of each field, or with `aggregator` every occurrence joined by it
    (tunnels and ICMP quotes give several addresses)."""
    args = ["-r", capture, "-T", "fields", "-E", "separator=\t"]
    args += ["-E", "occurrence=a", "-E", "aggregator=" + aggregator] if aggregator else ["-E", "occurrence=f"]
    if two_pass:
        args.insert(0, "-2")
    if display_filter:
        args += ["-Y", display_filter]
    for n in names:
        args += ["-e", n]
    out, err = tshark(args, **kw)
    if "Some fields aren't valid" in err:  # also with check=False: a misspelt field is never "no value"
        raise AssertionError(err)
    rows = []
    for line in out.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(names) - len(vals))
        rows.append(dict(zip(names, vals)))
    return rows


# ------------------------------------------------------------------ versions
def _tshark_version():
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"TShark \(Wireshark\) (\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


WS_VERSION = _tshark_version()
# 4.4+ print a true FT_BOOLEAN as "True" in -T fields and in -T ek/json with
# -e (4.0: "1"); false as "False" (4.0: "0").
NEW_OUTPUT = WS_VERSION >= (4, 4, 0)
BOOL_TRUE = "True" if NEW_OUTPUT else "1"
BOOL_FALSE = "False" if NEW_OUTPUT else "0"
# 4.4+ accept only built-in column types as _ws.col.* fields with -e
# (_ws.col.<custom column title> is an error there); a resolved custom column
# includes the field's unit ("23.241 pkts/s"); whole-tree -T ek writes a
# repeated field once, as an array, where 4.0 repeats the key.
CUSTOM_COLUMN_FIELDS = not NEW_OUTPUT
COLUMN_UNITS = NEW_OUTPUT
EK_REPEATS_KEYS = not NEW_OUTPUT


def is_true(value):
    """A boolean field's value, as this tshark prints it, says true."""
    return value == BOOL_TRUE or value == [BOOL_TRUE]


def bool_text(flag):
    """How this tshark prints a boolean field that is set (True) or false."""
    return BOOL_TRUE if flag else BOOL_FALSE


def strip_unit(value):
    """A resolved custom column's value without the unit 4.4+ append
    ("23.241 pkts/s" -> "23.241"); unchanged on 4.0."""
    return value.split(" ", 1)[0] if COLUMN_UNITS and value[:1].isdigit() else value


def column_rows(args, titles, **kw):
    """Column values per packet, one dict title -> value, via `-T tabs`: the
    one way to read custom columns on every version (4.4+ no longer accept
    `_ws.col.<custom column title>` with -e).  tshark puts an arrow cell
    between adjacent source and destination columns; it is dropped."""
    out, _ = tshark(list(args) + ["-T", "tabs"], **kw)
    rows = []
    for line in out.splitlines():
        vals = [v.strip() for v in line.split("\t")]
        while len(vals) > len(titles) and ("\u2192" in vals or "->" in vals):
            vals.remove("\u2192" if "\u2192" in vals else "->")
        if len(vals) != len(titles):
            raise AssertionError("%d columns where %d were expected: %r" % (len(vals), len(titles), line))
        rows.append(dict(zip(titles, vals)))
    return rows


def plugin_loaded():
    out, _ = tshark(["-G", "plugins"], own_db=None)
    return "ddi.so" in out


def require_plugin(testcase):
    if not plugin_loaded():
        raise AssertionError("the ddi plugin did not load from %s (staged from %s/plugins)" % (PLUGINS, BUILD))


def corpus(name):
    """Path of a capture in the shared corpus, or skip the test clearly."""
    path = os.path.join(CORPUS, name)
    if not os.path.exists(path):
        raise unittest.SkipTest("corpus capture %s not found in %s: corpus test skipped" % (name, CORPUS_SOURCE))
    return path


def main():
    """unittest main that exits 77 (ctest 'skipped') when every test skipped."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    shutil.rmtree(_home, ignore_errors=True)
    shutil.rmtree(STAGE, ignore_errors=True)
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun and len(r.skipped) == r.testsRun:
        sys.exit(77)
    sys.exit(0)
