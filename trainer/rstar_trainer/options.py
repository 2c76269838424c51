"""The command-line options, built from ``options.json`` (the single source of their names, types,
defaults, choices and bounds; the TypeScript side reads the same file)."""
import argparse
import json
import os

OPTIONS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "options.json")
TYPES = ("str", "int", "float", "flag")
KEYS = {"type", "default", "required", "choices", "min", "max", "dest", "help"}


def load_options(path: str = OPTIONS_FILE) -> dict:
    with open(path, "r", encoding="utf-8") as fh:
        return json.load(fh)


def command_options(schema: dict, command: str) -> dict:
    """``{name: spec}`` of a command: its own options, then its groups' (a name may be declared once)."""
    cmd = schema["commands"][command]
    out = dict(cmd["options"])
    for group in cmd.get("groups", []):
        for name, spec in schema["groups"][group].items():
            if name in out:
                raise ValueError(f"{OPTIONS_FILE}: {command} --{name} is declared twice")
            out[name] = spec
    for name, spec in out.items():
        unknown = set(spec) - KEYS
        if unknown or spec.get("type") not in TYPES:
            raise ValueError(f"{OPTIONS_FILE}: {command} --{name}: bad spec {spec}")
    return out


def _number(kind: str, lo, hi):
    base = int if kind == "int" else float

    def parse(text):
        value = base(text)  # ValueError: argparse says "invalid int value: 'two'"
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bound = f"between {lo} and {hi}" if lo is not None and hi is not None else (f">= {lo}" if lo is not None else f"<= {hi}")
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    parse.__name__ = base.__name__
    return parse


def add_options(parser: argparse.ArgumentParser, options: dict) -> None:
    for name, spec in options.items():
        kw = {}
        if spec["type"] == "flag":
            kw["action"] = "store_true"
        else:
            if spec["type"] in ("int", "float"):
                kw["type"] = _number(spec["type"], spec.get("min"), spec.get("max"))
            if "choices" in spec:
                kw["choices"] = spec["choices"]
            if "default" in spec:
                kw["default"] = spec["default"]
        if spec.get("required"):
            kw["required"] = True
        if "dest" in spec:
            kw["dest"] = spec["dest"]
        if "help" in spec:
            shown = f" (default: {spec['default']})" if "default" in spec else ""
            kw["help"] = (spec["help"] + shown).replace("%", "%%")
        parser.add_argument("--" + name, **kw)
