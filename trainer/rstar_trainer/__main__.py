"""CLI: ``python3 -m rstar_trainer <command> ...`` (JSON-line events on stdout, chatter on stderr)."""
import argparse
import sys
import traceback

from .events import TrainerError, emit, take_stdout


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise TrainerError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rstar_trainer", description="rstar-ts PyTorch trainer")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True

    s = sub.add_parser("sft", help="supervised fine-tuning on token ids (loss on positions >= loss_from)")
    s.add_argument("--data", required=True, help='JSONL of {"ids": [...], "loss_from": int}')
    s.add_argument("--config", help="model config JSON (optional with --init/--resume)")
    s.add_argument("--out", required=True, help="output directory (checkpoint.pt, train_metrics.json)")
    s.add_argument("--val-data")
    s.add_argument("--init", help="initialise weights from this checkpoint")
    s.add_argument("--epochs", type=int)
    s.add_argument("--max-steps", type=int)
    s.add_argument("--batch-tokens", type=int, help="max padded tokens per batch (default 8192)")
    s.add_argument("--batch-size", type=int, help="sequences per batch")
    s.add_argument("--pad-multiple", type=int, help="pad batch length to a multiple of this (default: 64 on CUDA, 1 on CPU)")
    s.add_argument("--lr", type=float, default=3e-3)
    s.add_argument("--min-lr", type=float, help="cosine floor (default lr/10)")
    s.add_argument("--warmup", type=int, help="warmup steps (default: 5%% of the steps, at most 100)")
    s.add_argument("--weight-decay", type=float, default=0.1)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="auto", help="cpu, cuda or auto")
    s.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    s.add_argument("--compile", action="store_true", help="torch.compile the backbone (torch >= 2)")
    s.add_argument("--max-minutes", type=float)
    s.add_argument("--eval-every", type=int, default=0)
    s.add_argument("--save-every", type=int, default=0)
    s.add_argument("--log-every", type=int, default=10)
    s.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt if it exists")

    e = sub.add_parser("export", help="checkpoint → ONNX (policy with KV cache, or ppm scores)")
    e.add_argument("--ckpt", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--kind", choices=["policy", "ppm"])

    lg = sub.add_parser("logits", help="PyTorch reference logits (ppm: scores) for a JSON batch")
    lg.add_argument("--ckpt", required=True)
    lg.add_argument("--input", required=True, help='{"input_ids","attention_mask","position_ids"} JSON')
    lg.add_argument("--out", help="write the array to this file instead of the event")

    b = sub.add_parser("bench-generate", help="eager greedy generation with a KV cache")
    b.add_argument("--ckpt", required=True)
    b.add_argument("--prompts", required=True, help='{"prompts": [[ids...], ...]} or [[ids...], ...]')
    b.add_argument("--batch-sizes", default="1,16,64")
    b.add_argument("--new-tokens", type=int, default=64)
    b.add_argument("--threads", type=int)
    b.add_argument("--device", default="cpu")

    r = sub.add_parser("reward", help="train the PPM (pairwise Bradley-Terry), or an ORM / Q-regression reward model")
    r.add_argument("--objective", required=True, choices=["pairwise", "orm", "qreg"])
    r.add_argument("--data", required=True, help='pairwise: JSONL of {"chosen": [ids], "rejected": [ids], "weight"}; '
                   'orm/qreg: {"ids": [ids], "target": t in [-1, 1], "weight"}')
    r.add_argument("--out", required=True, help="output directory (checkpoint.pt with kind ppm, train_metrics.json)")
    r.add_argument("--init", help="policy checkpoint (backbone kept, fresh scalar head) or PPM checkpoint")
    r.add_argument("--config", help="model config JSON for a fresh model (instead of --init)")
    r.add_argument("--val-pairs", help="held-out pairs (ids JSONL): pair accuracy for any objective")
    r.add_argument("--val-data", help="held-out data in the --data format: validation loss")
    r.add_argument("--epochs", type=int)
    r.add_argument("--max-steps", type=int)
    r.add_argument("--batch-size", type=int, default=16, help="pairs (pairwise) or examples per batch")
    r.add_argument("--batch-tokens", type=int, help="also cap a batch's padded tokens (rows x length)")
    r.add_argument("--pad-multiple", type=int, help="pad batch length to a multiple of this (default: 64 on CUDA, 1 on CPU)")
    r.add_argument("--lr", type=float, default=3e-4)
    r.add_argument("--min-lr", type=float, help="cosine floor (default lr/10)")
    r.add_argument("--warmup", type=int, help="warmup steps (default: 5%% of the steps, at most 100)")
    r.add_argument("--weight-decay", type=float, default=0.01)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--device", default="auto", help="cpu, cuda or auto")
    r.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    r.add_argument("--max-minutes", type=float)
    r.add_argument("--eval-every", type=int, default=0)
    r.add_argument("--save-every", type=int, default=0)
    r.add_argument("--log-every", type=int, default=10)
    r.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt if it exists")

    ip = sub.add_parser("init-ppm", help="PPM checkpoint = policy backbone + fresh scalar head")
    ip.add_argument("--from", dest="source", required=True)
    ip.add_argument("--out", required=True, help="output directory (checkpoint.pt)")
    ip.add_argument("--seed", type=int, default=0)
    return p


def main(argv=None) -> int:
    take_stdout()
    try:
        args = build_parser().parse_args(argv)
        if args.command == "sft":
            from .train import run_sft
            run_sft(args)
        elif args.command == "export":
            from .export import run_export
            run_export(args)
        elif args.command == "logits":
            from .infer import run_logits
            run_logits(args)
        elif args.command == "bench-generate":
            from .infer import run_bench_generate
            run_bench_generate(args)
        elif args.command == "reward":
            from .reward_train import run_reward
            run_reward(args)
        elif args.command == "init-ppm":
            from .infer import run_init_ppm
            run_init_ppm(args)
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
