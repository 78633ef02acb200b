"""A short, bounded fuzz run with the sanitizer build of the plugin.

tests/fuzz/fuzz.py mutates the bundled captures and the shared corpus (when
present) with editcap -E, editcap -s and TCP-option rewrites of SYN packets,
and runs tshark (single pass and -2, -V and -T fields -e ddi.verdict) with
the AddressSanitizer + UndefinedBehaviorSanitizer build of ddi.  Any
sanitizer report, crash, hang, ddi dissector bug or "Malformed Packet: DDI"
fails the test; the guilty mutants are kept and named in the failure.

The sanitizer build lives in $DDI_ASAN_BUILD_DIR, by default
$DDI_BUILD_DIR/asan inside the ctest build tree; it is configured and built
on first use (about a minute on 2 cores) and rebuilt when the sources change.
The run is about 300 mutants and stops starting new batches after
DDI_FUZZ_SECONDS (default 150) so that it stays bounded on a loaded machine.
The nightly run is scripts/fuzz-long.sh (10,000+ mutants).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import ddi_tshark as T

FUZZ = os.path.join(T.SOURCE, "tests", "fuzz", "fuzz.py")


class ShortFuzz(unittest.TestCase):
    def test_short_fuzz_run(self):
        for tool in ("gcc", "cmake", "editcap", "mergecap"):
            if not shutil.which(tool):
                self.skipTest("%s not installed: fuzz test skipped" % tool)
        asan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
        if not asan or not os.path.exists(asan):
            self.skipTest("libasan not installed (gcc -print-file-name=libasan.so): fuzz test skipped")
        build = os.environ.get("DDI_ASAN_BUILD_DIR") or os.path.join(os.path.abspath(T.BUILD), "asan")
        mutants = int(os.environ.get("DDI_FUZZ_MUTANTS", "300"))
        seconds = os.environ.get("DDI_FUZZ_SECONDS", "150")
        with tempfile.TemporaryDirectory(prefix="ddi-fuzz-test-") as tmp:
            summary = os.path.join(tmp, "summary.json")
            work = os.path.join(tmp, "work")
            cmd = [sys.executable, "-B", FUZZ, "--mutants", str(mutants), "--batch", "25", "--seed-packets", "200",
                   "--jobs", str(os.cpu_count() or 2), "--seed", os.environ.get("DDI_FUZZ_SEED", "6"),
                   "--build", build, "--workdir", work, "--time-limit", seconds, "--timeout", "120", "--json", summary]
            env = dict(os.environ, DDI_SOURCE_DIR=T.SOURCE, DDI_CORPUS=T.CORPUS)
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
            sys.stderr.write(p.stderr[-3000:])
            if p.returncode == 2:
                self.fail("fuzz set-up failed:\n" + p.stderr[-3000:])
            with open(summary) as f:
                s = json.load(f)
            crashes = ""
            for e in s["ddi_failures"]:
                log = e.get("file", "") + ".log"
                if os.path.exists(log):
                    crashes += "\n--- %s [%s] %s\n%s" % (e["mutant"], e["mode"], e["why"], open(log).read()[-4000:])
                # keep the reproducers out of the temporary folder
                keep = os.path.join(tempfile.gettempdir(), "ddi-fuzz-crashes")
                os.makedirs(keep, exist_ok=True)
                for f in (e.get("file"), log):
                    if f and os.path.exists(f):
                        shutil.copy(f, keep)
            self.assertEqual(s["ddi_failures"], [], "ddi failed on fuzzed input (reproducers copied to "
                             "/tmp/ddi-fuzz-crashes):" + crashes)
            self.assertEqual(p.returncode, 0, p.stderr[-3000:])
            self.assertGreater(s["mutants"], 0, "no mutant was run")
            print("fuzz: %d mutants (%s), %d tshark runs, %.0f s; Wireshark-only failures: %d" % (
                s["mutants"], s["kinds"], s["tshark_runs"], s["seconds"], len(s["wireshark_failures"])),
                file=sys.stderr)


if __name__ == "__main__":
    T.main()
