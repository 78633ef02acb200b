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
        ws = subprocess.Popen(["wireshark", "-n", "-o", "ddi.own_db:" + own_db, "-C", "Darknet", "-r", capture,
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
            ws.terminate()
            try:
                ws.wait(timeout=10)
            except subprocess.TimeoutExpired:
                ws.kill()
                ws.wait()
            res["returncode"] = ws.returncode
    shutil.rmtree(rt, ignore_errors=True)
    with open(os.path.join(outdir, "result.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--driver":
    _driver(*sys.argv[2:])
    sys.exit(0)

import re  # noqa: E402
import unittest  # noqa: E402

import ddi_tshark as T  # noqa: E402
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
                               os.path.abspath(__file__), "--driver", cls.out, os.path.abspath(SEED), T.OWN_DB]
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


if __name__ == "__main__":
    T.main()
