"""Run tshark with the ddi plugin from the build tree, and parse its output.

Wireshark ignores WIRESHARK_PLUGIN_DIR and the personal plugin folder when it
runs as root, so as root tshark is started as user nobody (setpriv) with a
throw-away HOME; as any other user it runs directly.  Every run checks that
ddi really loaded: a test that silently ran without the plugin proves nothing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ.get("DDI_BUILD_DIR", "build")
SOURCE = os.environ.get("DDI_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CORPUS = os.environ.get("DDI_CORPUS", os.path.join(SOURCE, "..", "shared", "captures"))
CAPTURES = os.path.join(SOURCE, "captures")
OWN_DB = os.path.join(SOURCE, "signatures", "ddi.fp")

_home = tempfile.mkdtemp(prefix="ddi-home-")
os.chmod(_home, 0o777)


def _base_cmd():
    env = ["env", "-i", "PATH=/usr/bin:/bin", "HOME=" + _home, "TZ=UTC", "LANG=C.UTF-8",
           "WIRESHARK_PLUGIN_DIR=" + os.path.join(BUILD, "plugins")]
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


def fields(capture, names, two_pass=False, display_filter=None, **kw):
    """-T fields output as a list of dicts (one per packet)."""
    args = ["-r", capture, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    if two_pass:
        args.insert(0, "-2")
    if display_filter:
        args += ["-Y", display_filter]
    for n in names:
        args += ["-e", n]
    out, _ = tshark(args, **kw)
    rows = []
    for line in out.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(names) - len(vals))
        rows.append(dict(zip(names, vals)))
    return rows


def plugin_loaded():
    out, _ = tshark(["-G", "plugins"], own_db=None)
    return "ddi.so" in out


def require_plugin(testcase):
    if not plugin_loaded():
        raise AssertionError("the ddi plugin did not load from %s/plugins" % BUILD)


def corpus(name):
    """Path of a capture in the shared corpus, or skip the test clearly."""
    path = os.path.join(CORPUS, name)
    if not os.path.exists(path):
        raise unittest.SkipTest("corpus capture %s not found in %s: corpus test skipped" % (name, CORPUS))
    return path


def main():
    """unittest main that exits 77 (ctest 'skipped') when every test skipped."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    shutil.rmtree(_home, ignore_errors=True)
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun and len(r.skipped) == r.testsRun:
        sys.exit(77)
    sys.exit(0)
