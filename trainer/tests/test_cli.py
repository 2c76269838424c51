"""Argument parsing: defaults, required options and choices; a parse error is a TrainerError (an
error event), never argparse's exit."""
import importlib
import unittest

from rstar_trainer.__main__ import COMMANDS, build_parser
from rstar_trainer.events import TrainerError
from rstar_trainer.options import load_options


class Cli(unittest.TestCase):
    def setUp(self):
        self.p = build_parser()

    def test_sft_defaults(self):
        a = self.p.parse_args(["sft", "--data", "d.jsonl", "--out", "o"])
        self.assertEqual(a.command, "sft")
        # lr: 2e-3 since the defaults were unified (was 3e-3 here, 2e-3 in `rstar train policy`).
        self.assertEqual((a.lr, a.weight_decay, a.seed, a.device, a.log_every), (2e-3, 0.1, 0, "auto", 10))
        # Left to the trainer: warmup (default_warmup), min lr (lr/10), batch shape and padding (by device).
        self.assertEqual((a.warmup, a.min_lr, a.batch_size, a.batch_tokens, a.pad_multiple), (None, None, None, None, None))
        self.assertFalse(a.resume or a.compile)

    def test_reward_defaults_and_objective_choices(self):
        a = self.p.parse_args(["reward", "--objective", "pairwise", "--data", "p.jsonl", "--out", "o", "--val-pairs", "v.jsonl"])
        # lr: 5e-4 since the defaults were unified (was 3e-4 here, 5e-4 in `rstar train ppm`).
        self.assertEqual((a.lr, a.weight_decay, a.batch_size, a.warmup, a.val_pairs), (5e-4, 0.01, 16, None, "v.jsonl"))
        with self.assertRaisesRegex(TrainerError, r"invalid choice: 'dpo'"):
            self.p.parse_args(["reward", "--objective", "dpo", "--data", "p", "--out", "o"])

    def test_other_commands(self):
        self.assertEqual(self.p.parse_args(["init-ppm", "--from", "c.pt", "--out", "o"]).source, "c.pt")
        b = self.p.parse_args(["bench-generate", "--ckpt", "c.pt", "--prompts", "p.json"])
        self.assertEqual((b.batch_sizes, b.new_tokens, b.device), ("1,16,64", 64, "cpu"))
        self.assertIsNone(self.p.parse_args(["export", "--ckpt", "c.pt", "--out", "m.onnx"]).kind)

    def test_errors_are_trainer_errors(self):
        for argv, message in [
            ([], r"required: command"),
            (["sft", "--out", "o"], r"required: --data"),
            (["sft", "--data", "d", "--out", "o", "--epochs", "two"], r"invalid int value: 'two'"),
            (["export", "--ckpt", "c", "--out", "o", "--kind", "orm"], r"invalid choice: 'orm'"),
            (["train"], r"invalid choice: 'train'"),
        ]:
            with self.subTest(argv=argv), self.assertRaisesRegex(TrainerError, message):
                self.p.parse_args(argv)

    def test_every_declared_command_has_an_entry_point(self):
        self.assertEqual(set(COMMANDS), set(load_options()["commands"]))
        for command, (module, function) in COMMANDS.items():
            with self.subTest(command=command):
                self.assertTrue(callable(getattr(importlib.import_module(f"rstar_trainer.{module}"), function)))


if __name__ == "__main__":
    unittest.main()
