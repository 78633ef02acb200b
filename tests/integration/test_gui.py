"""The real Wireshark GUI with the ddi plugin and the Darknet profile (issue 7).

wireshark (wireshark-qt) is started under Xvfb, as the same user and with the
same HOME and WIRESHARK_PLUGIN_DIR as the tshark tests, on
captures/seed-conficker.pcapng with `-C Darknet -g 3`.  Without OCR the test
checks what can be checked honestly:

* the main window appears (its title names the capture) and Wireshark keeps
  running for at least 5 s;
* its stderr has no plugin or ddi warning/error and no colouring rule that
  failed to compile;
* the screenshot is a 1600x1000 image with many colours, and it contains the
  backgrounds of the profile's "Conficker-style retry" and "known scanner"
  colouring rules: those rows can only be coloured if Wireshark loaded the
  profile AND the ddi plugin set ddi.conficker / ddi.tool in the GUI;
* after a clean quit, Wireshark has rewritten the profile's `recent` file
  with the ddi custom columns it displayed.

The screenshot is kept if DDI_GUI_SCREENSHOT names a file (that is how
docs/screenshot-gui.png is made).  The test skips, saying why, when a tool
is missing (wireshark, xvfb-run, xauth, xwininfo, ImageMagick's import).
xdotool is optional: with it the ddi tree is expanded before the screenshot
and Wireshark is quit with Ctrl+Q.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

WIDTH, HEIGHT = 1600, 1000
# the profile's colouring rules, 16-bit channels as in colorfilters
CONFICKER_BG = (65535, 37008, 37008)
SCANNER_BG = (43176, 55512, 65535)


def _stop(ws, timeout=15):
    """Ends a Wireshark the driver started: politely, then by force."""
    ws.terminate()
    try:
        ws.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        ws.kill()
        ws.wait()


def _finish(rt, outdir, res):
    """What every driver does last: drop its runtime dir, write OUTDIR/result.json."""
    shutil.rmtree(rt, ignore_errors=True)
    with open(os.path.join(outdir, "result.json"), "w") as f:
        json.dump(res, f, indent=1)


def _find_window(run, ws, t0, name):
    """The id of Wireshark's window titled `name`, waited for up to 60 s from t0 (None if it never came)."""
    wid = None
    while time.monotonic() - t0 < 60 and ws.poll() is None and not wid:
        wid = (run("xdotool", "search", "--name", name).stdout.split() or [None])[0]
        time.sleep(0.5)
    return wid


def _driver(outdir, capture, own_db):
    """Runs inside xvfb-run as the test user: start Wireshark, wait for its
    window, screenshot, quit.  Writes OUTDIR/result.json."""
    res = {"started": False}
    name = os.path.basename(capture)
    rt = tempfile.mkdtemp(prefix="ddi-xdg-")  # avoids Qt's XDG_RUNTIME_DIR warning
    env = dict(os.environ, XDG_RUNTIME_DIR=rt)
    have_xdotool = shutil.which("xdotool") is not None

    def windows():
        return subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True, env=env).stdout

    with open(os.path.join(outdir, "wireshark.err"), "w") as err, open(os.path.join(outdir, "wireshark.out"), "w") as out:
        t0 = time.monotonic()
        # the state file is written when Wireshark closes the capture (cleanup routine)
        ws = subprocess.Popen(["wireshark", "-n", "-o", "ddi.own_db:" + own_db, "-o",
                               "ddi.state_out:" + os.path.join(outdir, "gui.state"), "-C", "Darknet", "-r", capture,
                               "-g", "3"], stdout=out, stderr=err, env=env)
        res["started"] = True
        up = None
        while time.monotonic() - t0 < 60 and ws.poll() is None:
            if '"%s"' % name in windows():
                up = time.monotonic()
                break
            time.sleep(0.5)
        res["window_after_s"] = None if up is None else round(up - t0, 1)
        if up is not None:
            res["tree"] = [ln.strip() for ln in windows().splitlines() if name in ln]
            wid = None
            if have_xdotool:
                p = subprocess.run(["xdotool", "search", "--name", name], capture_output=True, text=True, env=env)
                wid = (p.stdout.split() or [None])[0]
                if wid:
                    res["title"] = subprocess.run(["xdotool", "getwindowname", wid], capture_output=True, text=True,
                                                  env=env).stdout.strip()
                    res["geometry"] = subprocess.run(["xdotool", "getwindowgeometry", wid], capture_output=True,
                                                     text=True, env=env).stdout.strip()
            time.sleep(2)
            if wid:
                # click an empty spot of the details pane (below the five
                # protocol rows of frame 3), then: End = the ddi row, Right =
                # expand it, and expand its last three sections from the
                # bottom up (IP ID, SYN retransmission, NAT)
                subprocess.run(["xdotool", "mousemove", str(WIDTH // 2), str(HEIGHT - 100), "click", "1"], env=env)
                time.sleep(0.5)
                subprocess.run(["xdotool", "key", "--delay", "150", "End", "Right", "End", "Right", "Up", "Right",
                                "Up", "Right"], env=env)
                subprocess.run(["xdotool", "mousemove", str(WIDTH - 100), str(HEIGHT - 50)], env=env)
            # running for at least 5 s with the capture open
            while time.monotonic() - up < 5:
                time.sleep(0.2)
            res["alive_after_5s"] = ws.poll() is None
            shot = os.path.join(outdir, "screenshot.png")
            p = subprocess.run(["import", "-window", "root", shot], capture_output=True, text=True, env=env)
            res["import_rc"], res["import_err"] = p.returncode, p.stderr
            res["alive_after_screenshot"] = ws.poll() is None
            if wid:
                subprocess.run(["xdotool", "windowfocus", "--sync", wid, "key", "ctrl+q"], env=env)
        try:
            res["returncode"] = ws.wait(timeout=15)
            res["quit_cleanly"] = True
        except subprocess.TimeoutExpired:
            res["quit_cleanly"] = False
            _stop(ws, 10)
            res["returncode"] = ws.returncode
    _finish(rt, outdir, res)


# Analyze > Expert Information: Wireshark's -z expert opens the dialog once
# the file is read.  Without OCR, Wireshark itself matches the text: the
# dialog's Search box keeps only the items whose summary contains what is typed,
# and each remaining group row is painted in its severity's colour.
EXPERT_SEARCHES = ["", "Conficker-style SYN retry", "NAT/middle box suspected", "Packet crafted by nmap",
                   "no such expert summary"]


def _expert_driver(outdir, capture, own_db):
    res = {"searches": {}}
    rt = tempfile.mkdtemp(prefix="ddi-xdg-")
    env = dict(os.environ, XDG_RUNTIME_DIR=rt)

    def run(*args):
        return subprocess.run(list(args), capture_output=True, text=True, env=env)

    with open(os.path.join(outdir, "wireshark.err"), "w") as err, open(os.path.join(outdir, "wireshark.out"), "w") as out:
        t0 = time.monotonic()
        ws = subprocess.Popen(["wireshark", "-n", "-o", "ddi.own_db:" + own_db, "-r", capture, "-z", "expert"],
                              stdout=out, stderr=err, env=env)
        wid = _find_window(run, ws, t0, "Expert Information")
        res["dialog_after_s"] = None if wid is None else round(time.monotonic() - t0, 1)
        if wid:
            time.sleep(3)  # the dialog fills in after the retap
            res["title"] = run("xdotool", "getwindowname", wid).stdout.strip()
            geo = run("xdotool", "getwindowgeometry", wid).stdout
            m = re.search(r"Geometry: (\d+)x(\d+)", geo)
            w, h = (int(m.group(1)), int(m.group(2))) if m else (620, 550)
            res["size"] = [w, h]
            for i, text in enumerate(EXPERT_SEARCHES):
                if text or i:
                    # the Search box sits left of the "Show..." button in the bottom row
                    run("xdotool", "mousemove", "--window", wid, str(w - 165), str(h - 55), "click", "1")
                    time.sleep(0.3)
                    run("xdotool", "key", "--window", wid, "ctrl+a", "BackSpace")
                    if text:
                        run("xdotool", "type", "--delay", "20", text)
                    time.sleep(1.5)
                shot = os.path.join(outdir, "expert-%d.png" % i)
                p = run("import", "-window", wid, shot)
                res["searches"][text] = {"png": shot, "rc": p.returncode, "err": p.stderr}
            run("import", "-window", "root", os.path.join(outdir, "root.png"))
        res["alive"] = ws.poll() is None
        _stop(ws)
    _finish(rt, outdir, res)


# The details pane: go to each frame (Ctrl+G), View > Expand All (Ctrl+Right),
# Edit > Copy > All Visible Items (Ctrl+Alt+Shift+A), and read the text from
# the X clipboard (Xlib through ctypes: no xclip or Tk needed).
# capture -> frames to look at: the seed's Conficker-style, nmap, Linux and
# first-SYN frames; SYN-ACK and ICMP backscatter
DETAIL_FRAMES = {"seed-conficker.pcapng": ["3", "2", "13", "1"], "netns-backscatter.pcapng": ["2", "8", "4"]}


def x_clipboard_text(timeout=3.0):
    """The CLIPBOARD selection as UTF-8 text, read with Xlib through ctypes
    (no xclip, xsel or Tk needed); '' when nobody owns it."""
    import ctypes
    import ctypes.util
    x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XDefaultRootWindow.restype = ctypes.c_ulong
    x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x.XCreateSimpleWindow.restype = ctypes.c_ulong
    x.XCreateSimpleWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_int] * 2 + [ctypes.c_uint] * 3 + \
        [ctypes.c_ulong] * 2
    x.XInternAtom.restype = ctypes.c_ulong
    x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x.XConvertSelection.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                                    ctypes.c_ulong]
    x.XPending.argtypes = [ctypes.c_void_p]
    x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    x.XGetWindowProperty.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long,
                                     ctypes.c_int, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                                     ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong),
                                     ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p)]
    x.XFree.argtypes = [ctypes.c_void_p]
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x.XOpenDisplay(None)
    if not dpy:
        raise OSError("cannot open the X display")
    try:
        win = x.XCreateSimpleWindow(dpy, x.XDefaultRootWindow(dpy), 0, 0, 1, 1, 0, 0, 0)
        clip, utf8 = x.XInternAtom(dpy, b"CLIPBOARD", 0), x.XInternAtom(dpy, b"UTF8_STRING", 0)
        prop = x.XInternAtom(dpy, b"DDI_CLIP", 0)
        x.XConvertSelection(dpy, clip, utf8, prop, win, 0)  # CurrentTime
        ev = (ctypes.c_long * 24)()
        selection_notify = 31
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if x.XPending(dpy):
                x.XNextEvent(dpy, ev)
                if ctypes.c_int.from_buffer(ev).value == selection_notify:
                    break
            else:
                time.sleep(0.02)
        else:
            return ""
        # XSelectionEvent: type, serial, send_event, display, requestor, selection, target, property, time
        if ev[7] == 0:  # property None: no owner or no UTF-8 text
            return ""
        typ, fmt, n, left, data = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
        x.XGetWindowProperty(dpy, win, prop, 0, 1 << 24, 1, 0, ctypes.byref(typ), ctypes.byref(fmt), ctypes.byref(n),
                             ctypes.byref(left), ctypes.byref(data))
        if not data.value:
            return ""
        text = ctypes.string_at(data.value, n.value).decode("utf-8", "replace")
        x.XFree(data)
        return text
    finally:
        x.XCloseDisplay(dpy)


def _details_driver(outdir, capture, own_db):
    frames = DETAIL_FRAMES[os.path.basename(capture)]
    res = {"frames": {}}
    rt = tempfile.mkdtemp(prefix="ddi-xdg-")
    env = dict(os.environ, XDG_RUNTIME_DIR=rt)

    def run(*args):
        return subprocess.run(list(args), capture_output=True, text=True, env=env)

    with open(os.path.join(outdir, "wireshark.err"), "w") as err, open(os.path.join(outdir, "wireshark.out"), "w") as out:
        t0 = time.monotonic()
        ws = subprocess.Popen(["wireshark", "-n", "-o", "ddi.own_db:" + own_db, "-r", capture, "-g",
                               frames[0]], stdout=out, stderr=err, env=env)
        wid = _find_window(run, ws, t0, os.path.basename(capture))
        res["window_after_s"] = None if wid is None else round(time.monotonic() - t0, 1)
        if wid:
            time.sleep(3)
            for i, n in enumerate(frames):
                run("xdotool", "windowfocus", "--sync", wid)
                if i:
                    run("xdotool", "key", "ctrl+g")
                    time.sleep(0.5)
                    run("xdotool", "type", "--delay", "50", n)
                    run("xdotool", "key", "Return")
                    time.sleep(1)
                text = ""
                for _ in range(5):  # the copy lands once the tree is redrawn
                    run("xdotool", "key", "ctrl+Right")
                    time.sleep(0.5)
                    run("xdotool", "key", "ctrl+alt+shift+a")
                    time.sleep(0.5)
                    text = x_clipboard_text()
                    if text.startswith("Frame %s:" % n):
                        break
                res["frames"][n] = text
        res["alive"] = ws.poll() is None
        _stop(ws)
    _finish(rt, outdir, res)


DRIVERS = {"--driver": _driver, "--expert-driver": _expert_driver, "--details-driver": _details_driver}
if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] in DRIVERS:
    import re
    DRIVERS[sys.argv[1]](*sys.argv[2:])
    sys.exit(0)

import re  # noqa: E402
import unittest  # noqa: E402

import ddi_tshark as T  # noqa: E402
from test_consumers import ddi_sections  # noqa: E402
from test_profile import SEED, column_formats, install_profile  # noqa: E402

TOOLS = ["wireshark", "xvfb-run", "xauth", "xwininfo", "import", "convert", "identify", "setpriv"]


class WiresharkGui(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [t for t in TOOLS if not shutil.which(t)]
        if os.geteuid() != 0:
            missing = [t for t in missing if t != "setpriv"]
        if missing:
            raise unittest.SkipTest("GUI test skipped: %s not installed (packages wireshark-qt, xvfb, xauth, "
                                    "x11-utils, imagemagick)" % ", ".join(missing))
        T.require_plugin(cls)
        cls.profile = install_profile(T._home)
        conf = os.path.join(T._home, ".config", "wireshark")
        # the main window's size lives in the personal recent_common
        with open(os.path.join(conf, "recent_common"), "w") as f:
            f.write("gui.geometry_main_x: 0\ngui.geometry_main_y: 0\ngui.geometry_main_width: %d\n"
                    "gui.geometry_main_height: %d\ngui.geometry_main_maximized: FALSE\n" % (WIDTH, HEIGHT))
        cls.out = tempfile.mkdtemp(prefix="ddi-gui-")
        os.chmod(cls.out, 0o777)
        if os.geteuid() == 0:
            os.chown(os.path.join(conf, "recent_common"), 65534, 65534)
        cmd = T._base_cmd() + ["xvfb-run", "-a", "-s", "-screen 0 %dx%dx24" % (WIDTH, HEIGHT), sys.executable, "-B",
                               T.stage_file(os.path.abspath(__file__)), "--driver", cls.out, os.path.abspath(SEED),
                               T.OWN_DB]
        cls.proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        try:
            with open(os.path.join(cls.out, "result.json")) as f:
                cls.res = json.load(f)
        except OSError:
            raise AssertionError("the GUI driver failed (%d):\n%s\n%s" % (cls.proc.returncode, cls.proc.stdout,
                                                                         cls.proc.stderr))
        with open(os.path.join(cls.out, "wireshark.err"), errors="replace") as f:
            cls.stderr = f.read()
        cls.shot = os.path.join(cls.out, "screenshot.png")
        keep = os.environ.get("DDI_GUI_SCREENSHOT")
        if keep and os.path.exists(cls.shot):
            shutil.copyfile(cls.shot, keep)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_window_appears_and_wireshark_keeps_running(self):
        r = self.res
        self.assertTrue(r["started"])
        self.assertIsNotNone(r["window_after_s"], "no Wireshark window within 60 s; stderr:\n" + self.stderr)
        self.assertTrue(r["alive_after_5s"], "Wireshark died within 5 s; stderr:\n" + self.stderr)
        self.assertTrue(r["alive_after_screenshot"])
        self.assertTrue(any("seed-conficker.pcapng" in ln for ln in r["tree"]), r["tree"])
        if "title" in r:  # xdotool
            self.assertIn("seed-conficker.pcapng", r["title"])
            self.assertIn("Geometry: %dx%d" % (WIDTH, HEIGHT), r["geometry"])

    def test_no_plugin_or_profile_errors_on_stderr(self):
        text = self.stderr.replace(T._home, "$HOME")
        bad = [ln for ln in text.splitlines()
               if re.search(r"(?i)\bddi\b|couldn't load|could not load|could not compile|disabling color filter|"
                            r"dissector bug|critical|plugin", ln)]
        self.assertEqual(bad, [], "Wireshark stderr:\n" + self.stderr)

    def _histogram(self):
        out = subprocess.run(["convert", self.shot, "-format", "%c", "histogram:info:-"], capture_output=True,
                             text=True, check=True).stdout
        hist = {}
        for line in out.splitlines():
            m = re.match(r"\s*(\d+):\s*\((\d+),(\d+),(\d+)", line)
            if m:
                hist[tuple(int(x) for x in m.groups()[1:])] = int(m.group(1))
        return hist

    def test_screenshot_is_a_real_picture(self):
        self.assertEqual(self.res["import_rc"], 0, self.res["import_err"])
        w, h, k = subprocess.run(["identify", "-format", "%w %h %k", self.shot], capture_output=True, text=True,
                                 check=True).stdout.split()
        self.assertEqual((int(w), int(h)), (WIDTH, HEIGHT))
        self.assertGreater(int(k), 200, "a near-blank screenshot")
        hist = self._histogram()
        self.assertLess(max(hist.values()), 0.8 * WIDTH * HEIGHT, "one colour covers the screen")

    def test_profile_colours_show_ddi_verdicts(self):
        hist = self._histogram()
        rgb8 = lambda c: tuple(x >> 8 for x in c)  # noqa: E731
        # frame 1 (frame 3 is selected); one packet-list row is about 1500 x 15 pixels
        self.assertGreater(hist.get(rgb8(CONFICKER_BG), 0), 5000, "no Conficker-coloured row: ddi.conficker "
                                                                  "missing in the GUI or profile not loaded")
        self.assertGreater(hist.get(rgb8(SCANNER_BG), 0), 7 * 5000, "no scanner-coloured rows (ddi.tool)")

    def test_wireshark_wrote_the_ddi_columns_into_recent(self):
        if not self.res.get("quit_cleanly"):
            self.skipTest("Wireshark was not quit with Ctrl+Q (no xdotool), so it did not rewrite recent")
        with open(os.path.join(self.profile, "recent")) as f:
            recent = f.read()
        self.assertIn("Recent settings file for Wireshark", recent)  # Wireshark's own header
        for _, fmt in column_formats():
            key = fmt if not fmt.startswith("%Cus:") else '"%Cus:' + fmt.split(":")[1] + '"'
            self.assertIn(key, recent)
        self.assertEqual(self.res["returncode"], 0)

    def test_state_file_written_when_the_capture_is_closed(self):
        if not self.res.get("quit_cleanly"):
            self.skipTest("Wireshark was not quit with Ctrl+Q (no xdotool)")
        with open(os.path.join(self.out, "gui.state"), "rb") as f:
            data = f.read()
        self.assertEqual(data[:8], b"DDISTATE")
        # the seed's four sources (statefile.c header: nsources at byte 72)
        self.assertEqual(int.from_bytes(data[72:76], "little"), 4)



# Wireshark 4.0's expert severity colours (ui/qt/utils/color_utils.cpp)
SEVERITY_RGB = {"warn": (0xf7, 0xf2, 0x53), "note": (0xa0, 0xff, 0xff), "chat": (0x80, 0xb7, 0xf7)}


def severity_rows(png, x=105):
    """Colour runs down the Severity column of a dialog screenshot: a list of
    (severity, pixel height) from top to bottom."""
    out = subprocess.run(["convert", png, "-crop", "1x100000+%d+0" % x, "txt:-"], capture_output=True, text=True,
                         check=True).stdout
    names = {v: k for k, v in SEVERITY_RGB.items()}
    runs = []
    for line in out.splitlines()[1:]:
        m = re.search(r"#([0-9A-Fa-f]{6})", line)
        rgb = tuple(int(m.group(1)[i:i + 2], 16) for i in (0, 2, 4)) if m else None
        name = names.get(rgb)
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    return [(n, h) for n, h in runs if n and h >= 8]


class ExpertInformationDialog(unittest.TestCase):
    """Analyze > Expert Information lists ddi's items (issue 13 item 6)."""

    @classmethod
    def setUpClass(cls):
        missing = [t for t in TOOLS + ["xdotool"] if not shutil.which(t)]
        if os.geteuid() != 0:
            missing = [t for t in missing if t != "setpriv"]
        if missing:
            raise unittest.SkipTest("GUI test skipped: %s not installed" % ", ".join(missing))
        T.require_plugin(cls)
        cls.out = tempfile.mkdtemp(prefix="ddi-gui-expert-")
        os.chmod(cls.out, 0o777)
        cmd = T._base_cmd() + ["xvfb-run", "-a", "-s", "-screen 0 %dx%dx24" % (WIDTH, HEIGHT), sys.executable, "-B",
                               T.stage_file(os.path.abspath(__file__)), "--expert-driver", cls.out, os.path.abspath(SEED), T.OWN_DB]
        cls.proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        try:
            with open(os.path.join(cls.out, "result.json")) as f:
                cls.res = json.load(f)
        except OSError:
            raise AssertionError("the GUI driver failed (%d):\n%s\n%s" % (cls.proc.returncode, cls.proc.stdout,
                                                                         cls.proc.stderr))
        with open(os.path.join(cls.out, "wireshark.err"), errors="replace") as f:
            cls.stderr = f.read()
        keep = os.environ.get("DDI_GUI_EXPERT_SCREENSHOT")
        shot = os.path.join(cls.out, "expert-0.png")
        if keep and os.path.exists(shot):
            shutil.copyfile(shot, keep)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def rows(self, search):
        r = self.res["searches"].get(search)
        self.assertIsNotNone(r, "no screenshot for search %r: %s; stderr:\n%s" % (search, self.res, self.stderr))
        self.assertEqual(r["rc"], 0, r["err"])
        return severity_rows(r["png"])

    def test_dialog_opens(self):
        self.assertIsNotNone(self.res["dialog_after_s"], "no Expert Information dialog; stderr:\n" + self.stderr)
        self.assertIn("seed-conficker.pcapng", self.res["title"])
        self.assertTrue(self.res["alive"])

    def test_whole_list_has_ddi_warning(self):
        # TCP raises no warning on this capture (checked below with ddi off),
        # so a Warning row is ddi's Conficker-style item
        sev = [n for n, _ in self.rows("")]
        self.assertEqual(sev[0], "warn", sev)
        self.assertIn("note", sev)
        self.assertIn("chat", sev)
        out, _ = T.tshark(["-2", "-q", "-z", "expert", "--disable-protocol", "ddi", "-r", SEED])
        self.assertNotIn("Warns", out)

    def test_search_finds_each_ddi_summary_in_its_severity(self):
        expect = {"Conficker-style SYN retry": "warn", "NAT/middle box suspected": "note",
                  "Packet crafted by nmap": "note"}
        for text, sev in expect.items():
            rows = self.rows(text)
            self.assertEqual([n for n, _ in rows], [sev], "search %r: %s" % (text, rows))
        self.assertEqual(self.rows("no such expert summary"), [])


class DetailsPane(unittest.TestCase):
    """The packet details pane shows the same ddi tree, line by line, as
    `tshark -2 -V` (Edit > Copy > All Visible Items after View > Expand All)."""

    @classmethod
    def setUpClass(cls):
        missing = [t for t in TOOLS + ["xdotool"] if not shutil.which(t)]
        if os.geteuid() != 0:
            missing = [t for t in missing if t != "setpriv"]
        import ctypes.util
        if not ctypes.util.find_library("X11") and not os.path.exists("/usr/lib/x86_64-linux-gnu/libX11.so.6"):
            missing.append("libX11")
        if missing:
            raise unittest.SkipTest("GUI test skipped: %s not installed" % ", ".join(missing))
        T.require_plugin(cls)
        cls.runs = {}
        for name in DETAIL_FRAMES:
            out = tempfile.mkdtemp(prefix="ddi-gui-details-")
            os.chmod(out, 0o777)
            cmd = T._base_cmd() + ["xvfb-run", "-a", "-s", "-screen 0 %dx%dx24" % (WIDTH, HEIGHT), sys.executable,
                                   "-B", T.stage_file(os.path.abspath(__file__)), "--details-driver", out,
                                   os.path.join(T.CAPTURES, name), T.OWN_DB]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            try:
                with open(os.path.join(out, "result.json")) as f:
                    res = json.load(f)
                with open(os.path.join(out, "wireshark.err"), errors="replace") as f:
                    res["stderr"] = f.read()
            except OSError:
                raise AssertionError("the GUI driver failed (%d):\n%s\n%s" % (proc.returncode, proc.stdout,
                                                                             proc.stderr))
            finally:
                shutil.rmtree(out, ignore_errors=True)
            cls.runs[name] = res

    def test_details_pane_equals_tshark_V(self):
        for name, frames in DETAIL_FRAMES.items():
            res = self.runs[name]
            self.assertIsNotNone(res["window_after_s"], "%s: no Wireshark window; stderr:\n%s" % (name,
                                                                                                  res["stderr"]))
            want = ddi_sections(T.tshark(["-2", "-r", os.path.join(T.CAPTURES, name), "-V"])[0])
            for n in frames:
                text = res["frames"].get(n, "")
                self.assertTrue(text.startswith("Frame %s:" % n), "%s frame %s: nothing copied from the details "
                                "pane: %r" % (name, n, text[:200]))
                got = ddi_sections(text)
                self.assertTrue(got[int(n)], "%s frame %s: no ddi tree in the details pane" % (name, n))
                self.assertEqual(got[int(n)], want[int(n)], "%s frame %s" % (name, n))
        # what a lazily built tree could lose: the seed's verdicts and their evidence
        seed = "\n".join(t for _, t in ddi_sections(self.runs["seed-conficker.pcapng"]["frames"]["3"])[3])
        for s in ("Conficker-style retry: True", "NAT reason: source port 21269", "Clue: TTL 113 -> initial 128",
                  "Expert Info (Warning/Security): Conficker-style SYN retry", "IP ID 32638: global counter"):
            self.assertIn(s, seed)
        bs = "\n".join(t for _, t in ddi_sections(self.runs["netns-backscatter.pcapng"]["frames"]["2"])[2])
        for s in ("Backscatter: SYN-ACK from 203.0.113.50", "Backscatter evidence: ", "Expert Info (Note/Security): "
                  "Backscatter (SYN-ACK)"):
            self.assertIn(s, bs)


if __name__ == "__main__":
    T.main()
