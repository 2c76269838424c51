import json
import os
import tempfile
import unittest


class TempDirTest(unittest.TestCase):
    """A fresh temporary directory per test, and a JSONL writer into it."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="rstar-trainer-test-")
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def jsonl(self, name, records):
        """Writes records (dicts, or raw strings written as they are) one per line; returns the path."""
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as fh:
            for r in records:
                fh.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
        return path
