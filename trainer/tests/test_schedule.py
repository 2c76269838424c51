"""The learning-rate schedule both trainers share: linear warmup, then cosine decay to the floor."""
import math
import unittest

from rstar_trainer.loop import default_warmup, lr_at


class Schedule(unittest.TestCase):
    def test_default_warmup_is_5_percent_between_1_and_100_steps(self):
        self.assertEqual([default_warmup(n) for n in (0, 1, 19, 20, 100, 1000, 2000, 5000)], [1, 1, 1, 1, 5, 50, 100, 100])

    def test_linear_warmup_then_cosine_to_the_floor(self):
        lr, floor, total, warmup = 1e-3, 1e-4, 100, 10
        self.assertAlmostEqual(lr_at(0, total, lr, floor, warmup), lr / 10)
        self.assertAlmostEqual(lr_at(4, total, lr, floor, warmup), lr / 2)
        self.assertAlmostEqual(lr_at(10, total, lr, floor, warmup), lr)  # the peak, right after warmup
        self.assertAlmostEqual(lr_at(55, total, lr, floor, warmup), (lr + floor) / 2)  # half way through the decay
        self.assertAlmostEqual(lr_at(100, total, lr, floor, warmup), floor)
        self.assertAlmostEqual(lr_at(500, total, lr, floor, warmup), floor)  # past the end: stays at the floor
        decay = [lr_at(s, total, lr, floor, warmup) for s in range(10, 101)]
        self.assertTrue(all(b < a for a, b in zip(decay, decay[1:])))

    def test_warmup_never_takes_the_whole_run(self):
        # A 3-step run asked for 100 warmup steps warms up over 2 and still reaches the peak.
        lrs = [lr_at(s, 3, 1.0, 0.0, 100) for s in range(3)]
        self.assertAlmostEqual(lrs[0], 0.5)
        self.assertAlmostEqual(lrs[2], 1.0)
        self.assertAlmostEqual(lr_at(0, 1, 1.0, 0.0, 5), 1.0)  # a 1-step run: no warmup at all
        self.assertTrue(all(math.isfinite(lr_at(s, 0, 1.0, 0.1, 0)) for s in range(3)))


if __name__ == "__main__":
    unittest.main()
