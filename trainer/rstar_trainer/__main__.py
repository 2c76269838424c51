"""CLI: ``python3 -m rstar_trainer <command> ...`` (JSON-line events on stdout, chatter on stderr)."""
import argparse
import importlib
import sys
import traceback

from .events import TrainerError, emit, take_stdout
from .options import add_options, command_options, load_options


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise TrainerError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The commands and their options, as declared in options.json."""
    schema = load_options()
    p = _Parser(prog="rstar_trainer", description="rstar-ts PyTorch trainer")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True
    for command, spec in schema["commands"].items():
        add_options(sub.add_parser(command, help=spec["help"]), command_options(schema, command))
    return p


# Each command's module and entry point, imported only when run (torch-heavy modules load lazily).
COMMANDS = {
    "sft": ("sft", "run_sft"),
    "export": ("export", "run_export"),
    "logits": ("infer", "run_logits"),
    "bench-generate": ("infer", "run_bench_generate"),
    "reward": ("reward", "run_reward"),
    "init-ppm": ("infer", "run_init_ppm"),
}


def main(argv=None) -> int:
    take_stdout()
    try:
        args = build_parser().parse_args(argv)
        module, function = COMMANDS[args.command]
        getattr(importlib.import_module(f".{module}", __package__), function)(args)
        return 0
    except TrainerError as e:
        emit("error", message=str(e))
        return 1
    except KeyboardInterrupt:
        emit("error", message="interrupted")
        return 130
    except Exception as e:  # noqa: BLE001 - any crash becomes an error event plus a traceback on stderr
        traceback.print_exc(file=sys.stderr)
        emit("error", message=f"{type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
