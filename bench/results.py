"""bench/results.py — what bench/run.sh, reader.sh and hours.sh share when
they report: reading /usr/bin/time figures, medians and run-by-run ratios,
target verdicts, the machine line, tables, and rewriting their own marked
section of bench/RESULTS.md.  Each script keeps its own rows and prose; this
module only holds what was written three times.

The scripts run their report code with PYTHONPATH=bench/ and `import results`.

SPDX-License-Identifier: GPL-2.0-or-later
"""
import datetime
import os
import re
import shutil
import sys
import statistics
import subprocess
import tempfile

NEW_FILE_HEAD = "# ddi benchmark results\n\nProduced by the scripts in bench/ (see bench/README.md).\n"


def sh(cmd):
    """stdout of a shell command, stripped ("" when it cannot run)"""
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def cpus():
    return os.cpu_count() or 0


def load_average():
    return sh("cut -d' ' -f1-3 /proc/loadavg")


def machine_sentence():
    """the machine line of the reader and hours sections"""
    return "Machine: %d CPUs, load average at the end %s." % (cpus(), load_average())


def machine_cell():
    """the machine row of run.sh's table: CPU model and memory as well"""
    model = sh("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1") or "?"
    mem_kb = int(sh("awk '/MemTotal/{print $2}' /proc/meminfo") or 0)
    return "%d CPUs (`nproc`), %s, %.1f GiB RAM; load average at the end %s" % (
        cpus(), model, mem_kb / 1048576.0, load_average())


def read_runs(path):
    """a TSV of timed runs, one line a run: NAME RUN WALL USER SYS RSS_KB or
    NAME RUN WALL CPU RSS_KB.  Returns ({name: [(wall, cpu, rss_kb)...]},
    {name: {run: (wall, cpu, rss_kb)}})"""
    rows, byrun = {}, {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) == 6:
            fig = (float(f[2]), float(f[3]) + float(f[4]), int(f[5]))
        elif len(f) == 5:
            fig = (float(f[2]), float(f[3]), int(f[4]))
        else:
            continue
        rows.setdefault(f[0], []).append(fig)
        byrun.setdefault(f[0], {})[f[1]] = fig
    return rows, byrun


def gnu_time(path):
    """(wall s, user+sys s, peak RSS kB) from a `/usr/bin/time -v` file"""
    t = open(path).read()
    w = re.search(r"Elapsed \(wall clock\) time.*: (.*)", t).group(1).split(":")
    wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
    cpu = float(re.search(r"User time.*: (.*)", t).group(1)) + float(re.search(r"System time.*: (.*)", t).group(1))
    rss = int(re.search(r"Maximum resident set size.*: (.*)", t).group(1))
    return wall, cpu, rss


def medians(rows, floor=0.0):
    """{name: (median wall, median cpu, median rss)}; times at least `floor`
    (/usr/bin/time reports hundredths: a tiny run may show 0.00 s)"""
    med = {}
    for k, v in rows.items():
        w, c, m = (statistics.median(x[i] for x in v) for i in range(3))
        med[k] = (max(w, floor), max(c, floor), m)
    return med


def paired_ratio(byrun, a, b, i):
    """median over runs of b / a, run by run (the two sides of a pair ran
    together); i: 0 wall, 1 CPU, 2 RSS"""
    rs = [byrun[b][r][i] / byrun[a][r][i] for r in byrun[a] if r in byrun[b] and byrun[a][r][i]]
    return statistics.median(rs)


def verdict(ok):
    return "**met**" if ok else "**missed**"


def mb(kb):
    return "%.0f MB" % (kb / 1024)


def thousands(x):
    return "{:,.0f}".format(x)


def print_table(hdr, rows):
    """the console table: aligned columns, no markdown emphasis"""
    w = [max(len(str(x).replace("**", "")) for x in col) for col in zip(hdr, *rows)]
    for r in [hdr] + list(rows):
        print("  ".join(str(x).replace("**", "").ljust(n) for x, n in zip(r, w)).rstrip())


def md_table(hdr, rows):
    """a markdown table as a list of lines"""
    return (["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
            + ["| " + " | ".join(str(x) for x in r) + " |" for r in rows])


def runs_list(rows, order, label=None, fmt="%.1f / %.1f / %.0f"):
    """'* NAME: wall / cpu / rss MB, ...' for every run, in `order`"""
    label = label or {}
    return ["* %s: %s" % (label.get(k, k), ", ".join(fmt % (a, b, c / 1024) for a, b, c in rows[k]))
            for k in order if k in rows]


def write_section(results, tag, script, lines):
    """Replaces the part of `results` between `<!-- TAG:begin` and
    `<!-- TAG:end -->` with `lines` (the markers are added here), or appends
    the section when the file has none; everything outside the markers is
    kept.  The new file replaces the old one by rename, so an interrupted run
    never leaves a half-written RESULTS.md."""
    block = "\n".join(["<!-- %s:begin (written by bench/%s; edit outside the markers) -->" % (tag, script)]
                      + list(lines) + ["<!-- %s:end -->" % tag])
    if os.path.exists(results):
        text = open(results, encoding="utf-8").read()
    else:
        text = NEW_FILE_HEAD
    pat = re.compile(r"<!-- %s:begin.*?<!-- %s:end -->" % (re.escape(tag), re.escape(tag)), re.S)
    if pat.search(text):
        text = pat.sub(lambda m: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    d = os.path.dirname(os.path.abspath(results))
    fd, tmp = tempfile.mkstemp(prefix=".results.", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if os.path.exists(results):
            shutil.copymode(results, tmp)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, results)
    except BaseException:
        os.unlink(tmp)
        raise
    print("bench: wrote %s" % results, file=sys.stderr)
