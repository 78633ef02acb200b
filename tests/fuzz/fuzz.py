#!/usr/bin/python3
"""fuzz.py — mutation fuzzing of the ddi plugin through tshark, with the
AddressSanitizer + UndefinedBehaviorSanitizer build of the plugin.

Seeds: every bundled capture (captures/*.pcapng) and, when present, every
capture of the shared corpus (../shared/captures/**/*.pcap*), cut to at most
--seed-packets packets (big files also give a slice from their middle).

Mutants (deterministic for a given --seed):
  E   editcap -E <p> --seed <s>   random byte errors, p in 0.002 .. 0.1
  s   editcap -s <snaplen>        truncation at a random snap length
  o   TCP option bytes of SYN / SYN-ACK packets rewritten (pcapmut.py):
      random and "interesting" bytes, crafted options (length 0, 255, short
      TS, WS 255, ...), shuffled option areas, bogus data offsets
  os  o, then truncated;  oE  o, then editcap -E

Mutants are concatenated in batches (mergecap -a, pcapng: every link type
keeps its own interface) and each batch is read by tshark four times: single
pass and -2, each with -V and with -T fields -e ddi.verdict.  tshark runs the
sanitizer build of the plugin with LD_PRELOAD=libasan (tshark itself is not
instrumented), ASAN_OPTIONS=detect_leaks=0 (Wireshark does not free
everything at exit) and UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1.

A run FAILS on: a signal or exit code >= 128, the sanitizer exit code, any
"ERROR: AddressSanitizer" / "runtime error:" / "Sanitizer" report, a ddi
dissector bug or "Malformed Packet: DDI", a ddi error/critical log line, or a
hang (--timeout).  A failing batch is re-run mutant by mutant; the guilty
mutant is re-run with --disable-protocol ddi, and if tshark still fails the
failure is Wireshark's own (counted, not a ddi failure).  ddi failures are
copied to WORKDIR/crashes/ with the command and its stderr.

--core-seconds N also builds tests/fuzz/fuzz_core.c with clang + libFuzzer +
ASan/UBSan and runs it N seconds on IP packets taken from the seeds: the core
sees every packet in a heap block of exactly its captured length, so reads
past the captured bytes (invisible through tshark, whose frame buffers are
larger) are caught too.

    tests/fuzz/fuzz.py --mutants 300 --jobs 2            # ~2 minutes
    tests/fuzz/fuzz.py --mutants 10000 --jobs 2 --batch 25 --core-seconds 600

Exit status: 0 when no ddi failure was found, 1 otherwise, 2 on set-up errors.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import argparse
import concurrent.futures
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pcapmut  # noqa: E402

SOURCE = os.environ.get("DDI_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
CORPUS = os.environ.get("DDI_CORPUS", os.path.join(SOURCE, "..", "shared", "captures"))
OWN_DB = os.path.join(SOURCE, "signatures", "ddi.fp")
ASAN_EXITCODE = 86

FAIL_PATTERNS = [
    re.compile(r"ERROR: AddressSanitizer"),
    re.compile(r"AddressSanitizer:DEADLYSIGNAL"),
    re.compile(r"ERROR: \w*Sanitizer"),
    re.compile(r"runtime error:"),
    re.compile(r"Dissector bug, protocol DDI", re.I),
    re.compile(r"Malformed Packet: DDI"),
    re.compile(r"\[ddi (ERROR|CRITICAL)\]"),
]
MODES = [("single", "-V"), ("two-pass", "-V"), ("single", "fields"), ("two-pass", "fields")]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- sanitizer build


def ensure_asan_build(build, source, timeout=900):
    """Configure + build the sanitizer plugin in `build` (once); returns the plugin dir."""
    plugdir = os.path.join(build, "plugins")
    so = glob.glob(os.path.join(plugdir, "*", "epan", "ddi.so"))
    if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
        subprocess.run(["cmake", "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DDDI_SANITIZE=ON",
                        "-DBUILD_TESTING=OFF"], check=True, timeout=timeout, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    # always (re)build: cheap when up to date, and the sources may have moved on
    p = subprocess.run(["cmake", "--build", build, "--target", "ddi", "-j", str(os.cpu_count() or 2)],
                       timeout=timeout, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError("sanitizer build failed:\n" + (p.stdout + p.stderr)[-3000:])
    so = glob.glob(os.path.join(plugdir, "*", "epan", "ddi.so"))
    if not so:
        raise RuntimeError("no ddi.so under %s after the build" % plugdir)
    cache = open(os.path.join(build, "CMakeCache.txt")).read()
    if "DDI_SANITIZE:BOOL=ON" not in cache:
        raise RuntimeError("%s is not a sanitizer build (configure it with -DDDI_SANITIZE=ON)" % build)
    return plugdir


def libasan():
    p = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    if not p or not os.path.exists(p):
        raise RuntimeError("libasan.so not found (gcc -print-file-name=libasan.so)")
    return os.path.realpath(p)


class Runner:
    """tshark with the sanitizer plugin (as nobody when we are root)."""

    def __init__(self, plugdir, timeout):
        self.timeout = timeout
        self.home = tempfile.mkdtemp(prefix="ddi-fuzz-home-")
        os.chmod(self.home, 0o777)
        # nobody may not be able to read the checkout (root's home): run a
        # world-readable copy of the plugin and of the signature file
        self.stage = tempfile.mkdtemp(prefix="ddi-fuzz-stage-")
        os.chmod(self.stage, 0o755)
        shutil.copytree(plugdir, os.path.join(self.stage, "plugins"))
        shutil.copyfile(OWN_DB, os.path.join(self.stage, "ddi.fp"))
        for root, dirs, files in os.walk(self.stage):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        plugdir = os.path.join(self.stage, "plugins")
        self.own_db = os.path.join(self.stage, "ddi.fp")
        env = ["env", "-i", "PATH=/usr/bin:/bin", "HOME=" + self.home, "TZ=UTC", "LANG=C.UTF-8",
               "WIRESHARK_PLUGIN_DIR=" + plugdir, "LD_PRELOAD=" + libasan(),
               "ASAN_OPTIONS=detect_leaks=0:exitcode=%d:abort_on_error=0:symbolize=1:"
               "allocator_may_return_null=1:detect_odr_violation=0" % ASAN_EXITCODE,
               "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=%d" % ASAN_EXITCODE]
        self.prefix = (["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []) + env

    def plugin_loaded(self):
        # not -G plugins: it runs the extcap helpers, which hang under LD_PRELOAD=libasan
        p = subprocess.run(self.prefix + ["tshark", "-G", "protocols"], capture_output=True, text=True, timeout=120)
        return any(l.split("\t")[2:3] == ["ddi"] for l in p.stdout.splitlines()), p.stderr

    def run(self, capture, mode, disable_ddi=False):
        passes, out = mode
        cmd = self.prefix + ["tshark", "-n", "-o", "ddi.own_db:" + self.own_db]
        if passes == "two-pass":
            cmd.append("-2")
        if disable_ddi:
            cmd += ["--disable-protocol", "ddi"]
        cmd += ["-r", capture]
        cmd += ["-V"] if out == "-V" else ["-T", "fields", "-e", "frame.number", "-e", "ddi.verdict"]
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=self.timeout)
        except subprocess.TimeoutExpired as e:
            return {"cmd": cmd, "rc": None, "why": "hang (> %d s)" % self.timeout,
                    "stderr": (e.stderr or b"").decode("utf-8", "replace")[-20000:], "secs": time.time() - t0}
        stderr = p.stderr.decode("utf-8", "replace")
        stdout = p.stdout.decode("utf-8", "replace")
        why = None
        if p.returncode < 0 or p.returncode >= 128:
            why = "crash (exit %d)" % p.returncode
        elif p.returncode == ASAN_EXITCODE:
            why = "sanitizer exit code"
        for pat in FAIL_PATTERNS:
            m = pat.search(stderr) or pat.search(stdout)
            if m:
                why = why or "report: " + m.group(0)
                break
        return {"cmd": cmd, "rc": p.returncode, "why": why, "stderr": stderr[-20000:], "secs": time.time() - t0,
                "lines": stdout.count("\n")}


# ---------------------------------------------------------------- seeds and mutants


def find_captures(corpus):
    caps = sorted(glob.glob(os.path.join(SOURCE, "captures", "*.pcapng")))
    if os.path.isdir(corpus):
        caps += sorted(glob.glob(os.path.join(corpus, "**", "*.pcap*"), recursive=True))
    return caps


def count_packets(path):
    try:
        return sum(1 for _ in pcapmut.Capture(path).packets())
    except (ValueError, OSError):
        return 0


def make_seeds(caps, workdir, max_packets):
    """Each capture cut to <= max_packets packets (plus a middle slice of big ones)."""
    sd = os.path.join(workdir, "seeds")
    os.makedirs(sd, exist_ok=True)
    seeds = []
    for c in caps:
        n = count_packets(c)
        base = os.path.basename(c).rsplit(".", 1)[0]
        if n <= max_packets:
            dst = os.path.join(sd, os.path.basename(c))
            shutil.copyfile(c, dst)
            seeds.append(dst)
            continue
        for tag, lo in (("head", 1), ("mid", n // 2)):
            dst = os.path.join(sd, "%s.%s.pcapng" % (base, tag))
            subprocess.run(["editcap", "-F", "pcapng", "-r", c, dst, "%d-%d" % (lo, lo + max_packets - 1)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seeds.append(dst)
    for s in seeds:
        os.chmod(s, 0o644)
    return seeds


KINDS = ["E"] * 35 + ["s"] * 25 + ["o"] * 25 + ["os"] * 10 + ["oE"] * 5


def make_mutant(seed_file, index, base_seed, outdir):
    """Write mutant `index`; returns (path, description)."""
    rng = random.Random(base_seed * 1000003 + index)
    kind = rng.choice(KINDS)
    ext = "pcapng" if open(seed_file, "rb").read(4) == b"\x0a\x0d\x0d\x0a" else "pcap"
    path = os.path.join(outdir, "m%06d.%s" % (index, ext))
    desc = [kind, os.path.basename(seed_file)]
    cur = seed_file
    tmp = path + ".tmp." + ext
    if "o" in kind:
        s = rng.randrange(1 << 30)
        pcapmut.mutate_tcp_options(cur, tmp, s, rate=rng.choice([0.3, 0.7, 1.0]))
        desc.append("tcpopt seed %d" % s)
        cur = tmp
    if "E" in kind:
        p = rng.choice([0.002, 0.005, 0.01, 0.02, 0.05, 0.1])
        s = rng.randrange(1 << 30)
        subprocess.run(["editcap", "-E", str(p), "--seed", str(s), cur, path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        desc.append("editcap -E %s --seed %d" % (p, s))
    elif "s" in kind:
        snap = rng.choice([rng.randint(1, 160), rng.choice([14, 18, 22, 34, 38, 54, 58, 60, 62, 66, 68, 74, 78])])
        subprocess.run(["editcap", "-s", str(snap), cur, path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        desc.append("editcap -s %d" % snap)
    else:
        os.replace(cur, path)
    if os.path.exists(tmp):
        os.unlink(tmp)
    os.chmod(path, 0o644)
    return path, " | ".join(desc)


# ---------------------------------------------------------------- core harness (libFuzzer)


def build_core_harness(outdir):
    """clang + libFuzzer + ASan/UBSan build of tests/fuzz/fuzz_core.c with plugin/core/*.c."""
    clang = shutil.which("clang")
    if not clang:
        raise RuntimeError("clang not found: the core harness needs libFuzzer")
    glib = subprocess.run(["pkg-config", "--cflags", "--libs", "glib-2.0"], capture_output=True, text=True,
                          check=True).stdout.split()
    exe = os.path.join(outdir, "fuzz_core")
    core = sorted(glob.glob(os.path.join(SOURCE, "plugin", "core", "*.c")))
    cmd = [clang, "-g", "-O1", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=undefined",
           "-fno-omit-frame-pointer", "-I", os.path.join(SOURCE, "plugin", "core"),
           os.path.join(HERE, "fuzz_core.c")] + core + glib + ["-lm", "-o", exe]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode:
        raise RuntimeError("core harness build failed:\n" + p.stderr[-3000:])
    return exe


def core_seeds(seeds, outdir, per_file=8):
    """libFuzzer inputs from the seed captures: [len][dt][IP bytes] records."""
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for sf in seeds:
        try:
            pk = list(pcapmut.Capture(sf).packets())
        except (ValueError, OSError):
            continue
        recs = []
        for lt, data in pk:
            offs = pcapmut.ip_offsets(lt, data)
            for o in sorted({offs[0], offs[-1]}) if offs else ():   # outer, and tunnelled / quoted
                ip = bytes(data[o:])[:1500]
                recs.append(bytes([len(ip) >> 8, len(ip) & 255, 20]) + ip)
            if len(recs) == per_file:
                with open(os.path.join(outdir, "s%05d" % n), "wb") as f:
                    f.write(b"\x00" + b"".join(recs))
                n += 1
                recs = []
        if recs:
            with open(os.path.join(outdir, "s%05d" % n), "wb") as f:
                f.write(b"\x00" + b"".join(recs))
            n += 1
    return n


def run_core(args, seeds):
    cdir = os.path.join(args.workdir, "core")
    os.makedirs(cdir, exist_ok=True)
    exe = build_core_harness(cdir)
    nseeds = core_seeds(seeds, os.path.join(cdir, "seeds"))
    corpus = os.path.join(cdir, "corpus")
    os.makedirs(corpus, exist_ok=True)
    art = os.path.join(cdir, "artifacts") + os.sep
    os.makedirs(art, exist_ok=True)
    env = dict(os.environ, DDI_OWN_DB=OWN_DB, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    cmd = [exe, "-max_total_time=%d" % args.core_seconds, "-timeout=10", "-rss_limit_mb=2048",
           "-max_len=8192", "-print_final_stats=1", "-artifact_prefix=" + art, "-seed=%d" % args.seed]
    if args.jobs > 1:
        cmd += ["-fork=%d" % args.jobs, "-ignore_crashes=0"]
    cmd += [corpus, os.path.join(cdir, "seeds")]
    log("fuzz: core harness (libFuzzer, exact-size heap buffers): %d seed inputs, %d s, %d jobs" % (
        nseeds, args.core_seconds, args.jobs))
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=args.core_seconds + 600)
    out = p.stderr
    execs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", out)
    execs_total = sum(int(x) for x in execs)
    if not execs_total:
        m = re.findall(r"^#(\d+)[:\s]", out, re.M)   # "#N: cov:" (fork mode) or "#N  NEW ..." lines
        execs_total = int(m[-1]) if m else 0
    crashes = sorted(glob.glob(art + "*"))
    failed = p.returncode != 0 or bool(crashes) or any(pat.search(out) for pat in FAIL_PATTERNS[:4])
    res = {"inputs_executed": execs_total, "seconds": args.core_seconds, "seed_inputs": nseeds,
           "exit": p.returncode, "failed": failed, "artifacts": crashes}
    if failed:
        keep = os.path.join(args.workdir, "crashes")
        os.makedirs(keep, exist_ok=True)
        with open(os.path.join(keep, "core-harness.log"), "w") as f:
            f.write(" ".join(cmd) + "\n\n" + out[-50000:])
        for c in crashes:
            shutil.copy(c, keep)
        res["log"] = os.path.join(keep, "core-harness.log")
        log("DDI FAILURE (core harness): exit %d, artifacts %s, log %s" % (p.returncode, crashes, res["log"]))
    return res


# ---------------------------------------------------------------- driver


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.mutants = self.batches = self.runs = 0
        self.kinds = {}
        self.ddi_failures = []
        self.ws_failures = []
        self.cpu_secs = 0.0


def run_batch(b, args, seeds, runner, workdir, stats):
    bdir = os.path.join(workdir, "b%05d" % b)
    os.makedirs(bdir, exist_ok=True)
    os.chmod(bdir, 0o755)
    first = b * args.batch
    idx = range(first, min(first + args.batch, args.mutants))
    mutants = []
    for i in idx:
        seed_file = seeds[random.Random(args.seed * 7919 + i).randrange(len(seeds))]
        mutants.append(make_mutant(seed_file, i, args.seed, bdir))
    batch = os.path.join(bdir, "batch.pcapng")
    if len(mutants) == 1:
        shutil.copyfile(mutants[0][0], batch)
    else:
        subprocess.run(["mergecap", "-a", "-F", "pcapng", "-w", batch] + [m[0] for m in mutants], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(batch, 0o644)
    runs = 0
    for mode in MODES:
        r = runner.run(batch, mode)
        runs += 1
        if not r["why"]:
            continue
        # find the guilty mutant(s)
        for path, desc in mutants:
            rr = runner.run(path, mode)
            runs += 1
            if not rr["why"]:
                continue
            ws = runner.run(path, mode, disable_ddi=True)
            runs += 1
            entry = {"mutant": desc, "mode": " ".join(mode), "why": rr["why"], "rc": rr["rc"]}
            if ws["why"]:
                entry["note"] = "fails with --disable-protocol ddi too: Wireshark's own"
                with stats.lock:
                    stats.ws_failures.append(entry)
                continue
            cdir = os.path.join(args.workdir, "crashes")
            os.makedirs(cdir, exist_ok=True)
            keep = os.path.join(cdir, os.path.basename(path))
            shutil.copyfile(path, keep)
            with open(keep + ".log", "w") as f:
                f.write("mutant: %s\nmode: %s\nwhy: %s\nexit: %s\ncommand: %s\n\n%s" % (
                    desc, " ".join(mode), rr["why"], rr["rc"], " ".join(rr["cmd"]), rr["stderr"]))
            entry["file"] = keep
            with stats.lock:
                stats.ddi_failures.append(entry)
            log("DDI FAILURE: %s [%s]: %s -> %s" % (desc, " ".join(mode), rr["why"], keep))
    with stats.lock:
        stats.mutants += len(mutants)
        stats.batches += 1
        stats.runs += runs
        for _, d in mutants:
            k = d.split(" | ")[0]
            stats.kinds[k] = stats.kinds.get(k, 0) + 1
    if not args.keep:
        shutil.rmtree(bdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mutants", type=int, default=300)
    ap.add_argument("--batch", type=int, default=10, help="mutants per tshark run (1 = one run per mutant)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seed-packets", type=int, default=300, help="packets kept per seed capture")
    ap.add_argument("--build", default=os.environ.get("DDI_ASAN_BUILD_DIR"),
                    help="sanitizer build dir (configured + built if needed); default $DDI_BUILD_DIR/asan")
    ap.add_argument("--workdir", help="default: a new folder under /tmp")
    ap.add_argument("--timeout", type=int, default=180, help="seconds per tshark run before it counts as a hang")
    ap.add_argument("--time-limit", type=float, default=0, help="stop starting batches after this many seconds")
    ap.add_argument("--keep", action="store_true", help="keep all mutants")
    ap.add_argument("--json", help="write a summary here")
    ap.add_argument("--core-seconds", type=int, default=0,
                    help="also run the libFuzzer harness of the core (tests/fuzz/fuzz_core.c) this long")
    args = ap.parse_args()

    build = args.build or os.path.join(os.environ.get("DDI_BUILD_DIR", os.path.join(SOURCE, "build")), "asan")
    t0 = time.time()
    try:
        plugdir = ensure_asan_build(os.path.abspath(build), SOURCE)
    except (subprocess.SubprocessError, RuntimeError, OSError) as e:
        log("fuzz: cannot get a sanitizer build in %s: %s" % (build, e))
        return 2
    for tool in ("editcap", "mergecap", "tshark"):
        if not shutil.which(tool):
            log("fuzz: %s not found" % tool)
            return 2
    runner = Runner(plugdir, args.timeout)
    ok, err = runner.plugin_loaded()
    if not ok:
        log("fuzz: the sanitizer plugin did not load from %s:\n%s" % (plugdir, err))
        return 2
    args.workdir = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="ddi-fuzz-"))
    os.makedirs(args.workdir, exist_ok=True)
    os.chmod(args.workdir, 0o755)
    caps = find_captures(CORPUS)
    if not os.path.isdir(CORPUS):
        log("fuzz: corpus %s not found: fuzzing the bundled captures only" % CORPUS)
    seeds = make_seeds(caps, args.workdir, args.seed_packets)
    log("fuzz: %d captures -> %d seeds; %d mutants in batches of %d, %d jobs; build %s (%.0f s set-up)" % (
        len(caps), len(seeds), args.mutants, args.batch, args.jobs, build, time.time() - t0))

    stats = Stats()
    nbatches = (args.mutants + args.batch - 1) // args.batch
    t1 = time.time()
    stopped = False
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futs = []
        for b in range(nbatches):
            futs.append(ex.submit(lambda b=b: None if (args.time_limit and time.time() - t0 > args.time_limit)
                                  else run_batch(b, args, seeds, runner, args.workdir, stats)))
        done = 0
        for f in concurrent.futures.as_completed(futs):
            f.result()
            done += 1
            if done % max(1, nbatches // 20) == 0:
                log("fuzz: %d/%d batches, %d mutants, %d tshark runs, %d ddi failures, %.0f s" % (
                    done, nbatches, stats.mutants, stats.runs, len(stats.ddi_failures), time.time() - t1))
    if stats.mutants < args.mutants:
        stopped = True
    core = None
    if args.core_seconds:
        try:
            core = run_core(args, seeds)
        except (RuntimeError, subprocess.SubprocessError, OSError) as e:
            log("fuzz: core harness not run: %s" % e)
            core = {"error": str(e)}
    shutil.rmtree(runner.home, ignore_errors=True)
    shutil.rmtree(runner.stage, ignore_errors=True)
    summary = {
        "mutants": stats.mutants, "requested": args.mutants, "batches": stats.batches, "tshark_runs": stats.runs,
        "kinds": stats.kinds, "seeds": len(seeds), "captures": len(caps), "seconds": round(time.time() - t0, 1),
        "ddi_failures": stats.ddi_failures, "wireshark_failures": stats.ws_failures,
        "stopped_by_time_limit": stopped, "workdir": args.workdir, "core_harness": core,
    }
    log("fuzz: %d mutants (%s), %d tshark runs in %.0f s: %d ddi failures (%d mutants), %d Wireshark-only "
        "failures%s" % (
        stats.mutants, ", ".join("%s %d" % kv for kv in sorted(stats.kinds.items())), stats.runs,
        time.time() - t0, len(stats.ddi_failures), len({e["file"] for e in stats.ddi_failures}),
        len(stats.ws_failures),
        " (stopped by the time limit)" if stopped else ""))
    for e in stats.ddi_failures:
        log("  DDI: %(mutant)s [%(mode)s] %(why)s -> %(file)s" % e)
    for e in stats.ws_failures:
        log("  Wireshark: %(mutant)s [%(mode)s] %(why)s" % e)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    if core and "inputs_executed" in core:
        log("fuzz: core harness: %d inputs executed in %d s: %s" % (
            core["inputs_executed"], core["seconds"], "FAILED" if core["failed"] else "no failure"))
    core_failed = bool(core and core.get("failed"))
    if not stats.ddi_failures and not args.keep and not stats.ws_failures and not core_failed:
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 1 if stats.ddi_failures or core_failed else 0


if __name__ == "__main__":
    sys.exit(main())
