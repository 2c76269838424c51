"""options.json is the single source of the trainer's options: argparse is built from it (defaults,
required options, choices, bounds), and every declared default is valid for its own declaration."""
import argparse
import unittest

from rstar_trainer.__main__ import build_parser
from rstar_trainer.events import TrainerError
from rstar_trainer.options import TYPES, command_options, load_options


def subparsers(parser):
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


class Options(unittest.TestCase):
    def setUp(self):
        self.schema = load_options()
        self.commands = subparsers(build_parser())

    def required_argv(self, command, options):
        argv = [command]
        for name, spec in options.items():
            if spec.get("required"):
                argv += ["--" + name, spec["choices"][0] if "choices" in spec else "x"]
        return argv

    def test_the_parser_has_exactly_the_declared_commands(self):
        self.assertEqual(list(self.commands), list(self.schema["commands"]))

    def test_argparse_defaults_equal_options_json(self):
        p = build_parser()
        for command in self.schema["commands"]:
            options = command_options(self.schema, command)
            args = vars(p.parse_args(self.required_argv(command, options)))
            declared = {spec.get("dest", name.replace("-", "_")) for name, spec in options.items()}
            self.assertEqual(set(args) - {"command"}, declared, command)
            for name, spec in options.items():
                if spec.get("required"):
                    continue
                expected = spec.get("default", False if spec["type"] == "flag" else None)
                got = args[spec.get("dest", name.replace("-", "_"))]
                with self.subTest(option=f"{command} --{name}"):
                    self.assertEqual(got, expected)
                    self.assertIs(type(got), type(expected))

    def test_declared_defaults_are_valid(self):
        for command in self.schema["commands"]:
            for name, spec in command_options(self.schema, command).items():
                with self.subTest(option=f"{command} --{name}"):
                    self.assertIn(spec["type"], TYPES)
                    self.assertTrue(spec.get("help"), "every option says what it is")
                    if "default" not in spec:
                        continue
                    d = spec["default"]
                    self.assertFalse(spec.get("required"), "a required option has no default")
                    self.assertIs(type(d), {"str": str, "int": int, "float": float}[spec["type"]])
                    if "choices" in spec:
                        self.assertIn(d, spec["choices"])
                    if "min" in spec:
                        self.assertGreaterEqual(d, spec["min"])
                    if "max" in spec:
                        self.assertLessEqual(d, spec["max"])

    def test_required_choices_and_bounds_are_enforced(self):
        p = build_parser()
        base = ["sft", "--data", "d", "--out", "o"]
        for argv, message in [
            (["sft", "--data", "d"], r"required: --out"),
            (base + ["--device", "tpu"], r"invalid choice: 'tpu'"),
            (base + ["--lr", "2"], r"argument --lr: must be between 0 and 1, got 2"),
            (base + ["--epochs", "0"], r"argument --epochs: must be >= 1, got 0"),
            (base + ["--epochs", "1.5"], r"invalid int value: '1.5'"),
            (["reward", "--objective", "orm", "--data", "d", "--out", "o", "--batch-size", "0"], r"argument --batch-size: must be >= 1"),
        ]:
            with self.subTest(argv=argv), self.assertRaisesRegex(TrainerError, message):
                p.parse_args(argv)
        a = p.parse_args(base + ["--lr", "1", "--epochs", "1", "--device", "cuda", "--resume"])
        self.assertEqual((a.lr, a.epochs, a.device, a.resume), (1.0, 1, "cuda", True))

    def test_a_name_is_declared_once_per_command(self):
        schema = load_options()
        schema["commands"]["sft"]["options"]["seed"] = {"type": "int", "help": "again"}
        with self.assertRaisesRegex(ValueError, r"sft --seed is declared twice"):
            command_options(schema, "sft")


if __name__ == "__main__":
    unittest.main()
