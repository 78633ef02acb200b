"""The accuracy ledger (docs/accuracy.md) is a measurement, not prose: this
test remakes it from the labels and the current plugin and fails when any
figure or listed false claim differs from the committed file.  After a change
that moves a figure on purpose, run scripts/accuracy.py and commit the file."""
import os
import sys
import unittest

import ddi_tshark as T

sys.path.insert(0, os.path.join(T.SOURCE, "scripts"))
import accuracy  # noqa: E402

LEDGER = os.path.join(T.SOURCE, "docs", "accuracy.md")


class AccuracyLedger(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        if not os.path.isdir(T.CORPUS):
            raise unittest.SkipTest("corpus folder %s not found: the ledger covers it, so this test was skipped"
                                    % T.CORPUS)
        led, skipped = accuracy.build(T, T.CORPUS)
        cls.text = accuracy.render(led, skipped, "")
        cls.led = led

    def test_figures_match_the_committed_ledger(self):
        with open(LEDGER) as f:
            committed = accuracy.figures(f.read())
        self.assertEqual(accuracy.figures(self.text), committed,
                         "docs/accuracy.md is out of date: run scripts/accuracy.py and review the change")

    def test_every_claim_type_has_labels_both_ways(self):
        # without negatives a yes/no claim cannot show false claims, without positives no misses
        # (a wrong OS family is a false claim on a positive label)
        for c in accuracy.ORDER:
            n = self.led.n[c]
            with self.subTest(claim=c):
                self.assertGreater(n["hit"] + n["miss"], 0)
                if c == "IP-ID rate":  # its negatives: every rate shown, checked against the whole span
                    self.assertGreater(n["rates shown"], 100)
                elif c != "OS family":
                    self.assertGreater(n["rejected"] + n["false"], 0)


if __name__ == "__main__":
    T.main()
