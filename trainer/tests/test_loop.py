"""The training loop shared by sft and reward, driven by a fake objective on a tiny model: the step
plan, the lr schedule in the step events, max-steps / max-minutes stops, validation and save cadence,
and a SIGTERM'd run that resumes at the right step and ends where an uninterrupted run ends."""
import json
import os
import signal
import time

import torch

from rstar_trainer import events
from rstar_trainer.__main__ import build_parser
from rstar_trainer.config import ModelConfig
from rstar_trainer.data import plan_batches
from rstar_trainer.events import TrainerError
from rstar_trainer.loop import Objective, lr_at, plan_steps, train_loop

from .helpers import TempDirTest

CONFIG = {"vocab_size": 8, "d_model": 8, "n_layers": 1, "n_heads": 2, "d_ff": 16, "max_seq_len": 8}


class FakeData:
    def __init__(self, n, sha256):
        self.n, self.sha256, self.n_tokens = n, sha256, 3 * n

    def __len__(self):
        return self.n


class FakeObjective(Objective):
    """10 items in batches of 2 (5 steps an epoch); the loss is a function of the model on the batch's ids."""

    command = "fake"

    def __init__(self, args, items=10, batch=2, val=True, sha256="a" * 64, on_loss=None, loss_value=None):
        super().__init__(args)
        self.items, self.batch, self.val, self.sha256 = items, batch, val, sha256
        self.on_loss, self.loss_value = on_loss, loss_value
        self.seen = []

    def model_config(self, args, resume, init, ckpt_path):
        return ModelConfig.from_dict(CONFIG)

    def load_data(self, args, cfg):
        self.train = FakeData(self.items, self.sha256)
        return self.train

    def epoch_batches(self, epoch):
        return plan_batches([1] * self.items, self.args.seed, epoch, self.batch)

    def loss(self, run, batch):
        self.seen.append(list(batch))
        if self.on_loss:
            self.on_loss(len(self.seen))
        x = torch.tensor([[1 + i % 7 for i in batch]], device=run.device)
        h, _ = run.model.hidden(x)
        loss_sum = (h.float() ** 2).mean() * len(batch)
        if self.loss_value is not None:
            loss_sum = loss_sum * self.loss_value
        return loss_sum, len(batch), len(batch), loss_sum / len(batch)

    @property
    def has_val(self):
        return self.val

    def evaluate(self, run):
        assert not run.model.training and not torch.is_grad_enabled()
        return {"val_loss": float(run.model.embed.weight.float().pow(2).mean())}


class _Events:
    def __init__(self):
        self.lines = []

    def write(self, s):
        self.lines.append(json.loads(s))

    def flush(self):
        pass

    def of(self, name):
        return [e for e in self.lines if e["event"] == name]


class Loop(TempDirTest):
    def setUp(self):
        super().setUp()
        self._handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
        self._out = events._out
        self._threads = torch.get_num_threads()

    def tearDown(self):
        events._out = self._out
        for s, h in self._handlers.items():
            signal.signal(s, h)
        torch.set_num_threads(self._threads)
        super().tearDown()

    def args(self, *extra, out="run"):
        return build_parser().parse_args(["sft", "--data", "fake.jsonl", "--out", os.path.join(self.dir, out),
                                          "--device", "cpu", "--threads", "1", "--seed", "3", *extra])

    def train(self, *extra, out="run", **kw):
        """Runs the loop; returns (events, objective)."""
        ev = _Events()
        events._out = ev
        obj = FakeObjective(self.args(*extra, out=out), **kw)
        train_loop(obj.args, obj)
        return ev, obj

    def test_plan_epochs_and_max_steps(self):
        epoch = lambda e: [[e, i] for i in range(5)]  # noqa: E731
        self.assertEqual(plan_steps(epoch, 1, None)[1:], (5, 1))
        self.assertEqual(plan_steps(epoch, 3, None)[1:], (15, 3))
        plan, total, epochs = plan_steps(epoch, None, 7)  # as many epochs as 7 steps need
        self.assertEqual((total, epochs, plan[5]), (7, 2, (1, [1, 0])))
        self.assertEqual(plan_steps(epoch, 3, 4)[1:], (4, 1))  # max steps cuts epochs short

        ev, obj = self.train()
        start, done = ev.of("start")[0], ev.of("done")[0]
        self.assertEqual((start["total_steps"], start["epochs"], start["start_step"], start["resumed"]), (5, 1, 0, False))
        self.assertEqual(sorted(i for b in obj.seen for i in b), list(range(10)))  # one epoch: every item once
        self.assertEqual((done["step"], done["metrics"]["steps"], done["metrics"]["stopped"]), (5, 5, None))

    def test_max_steps_stops_inside_an_epoch(self):
        ev, obj = self.train("--max-steps", "7", "--log-every", "3")
        self.assertEqual(len(obj.seen), 7)
        self.assertEqual([e["step"] for e in ev.of("step")], [1, 3, 6, 7])
        self.assertEqual([e["epoch"] for e in ev.of("step")], [0, 0, 1, 1])
        m = ev.of("done")[0]["metrics"]
        self.assertEqual((m["steps"], m["total_steps"], m["hyper"]["epochs"], m["hyper"]["max_steps"]), (7, 7, None, 7))

    def test_the_step_events_follow_the_schedule(self):
        ev, _ = self.train("--epochs", "2", "--log-every", "1", "--lr", "0.01", "--min-lr", "0.001", "--warmup", "3")
        lrs = [e["lr"] for e in ev.of("step")]
        self.assertEqual(lrs, [lr_at(s, 10, 0.01, 0.001, 3) for s in range(10)])
        self.assertEqual(ev.of("done")[0]["metrics"]["hyper"]["warmup"], 3)
        # Without --warmup: default_warmup(10) = 1 step; without --min-lr the floor is lr / 10.
        ev, _ = self.train("--epochs", "2", "--log-every", "1", "--lr", "0.01", out="default")
        self.assertEqual([e["lr"] for e in ev.of("step")], [lr_at(s, 10, 0.01, 0.001, 1) for s in range(10)])

    def test_validation_and_save_cadence(self):
        ev, _ = self.train("--eval-every", "2", "--save-every", "3")
        self.assertEqual([e["step"] for e in ev.of("eval")], [2, 4, 5])  # and once at the end
        self.assertEqual([(e["step"], e["reason"]) for e in ev.of("save")], [(3, "periodic"), (5, "final")])
        m = ev.of("done")[0]["metrics"]
        self.assertEqual(m["val_loss"], ev.of("eval")[-1]["val_loss"])
        with open(os.path.join(self.dir, "run", "train_metrics.json"), encoding="utf-8") as fh:
            self.assertEqual(json.load(fh)["steps"], 5)
        ck = torch.load(os.path.join(self.dir, "run", "checkpoint.pt"))
        self.assertEqual((ck["step"], ck["data_sha256"], len(ck["loss_history"])), (5, "a" * 64, 2))
        self.assertNotIn("initial_eval", ck)

    def test_an_initial_evaluation_runs_once_per_run(self):
        obj_cls = type("Initial", (FakeObjective,), {"eval_at_start": True})
        ev = _Events()
        events._out = ev
        obj = obj_cls(self.args("--max-steps", "2"))
        train_loop(obj.args, obj)
        self.assertEqual([e["step"] for e in ev.of("eval")], [0, 2])
        ck = torch.load(os.path.join(self.dir, "run", "checkpoint.pt"))
        self.assertEqual(ck["initial_eval"], {k: v for k, v in ev.of("eval")[0].items() if k not in ("event", "step")})
        ev = _Events()
        events._out = ev
        obj = obj_cls(self.args("--max-steps", "2", "--resume"))
        train_loop(obj.args, obj)
        self.assertEqual([e["step"] for e in ev.of("eval")], [2])  # resumed: the initial one is the checkpoint's

    def test_max_minutes_stops_early(self):
        ev, obj = self.train("--epochs", "20", "--max-minutes", "0.00001", on_loss=lambda n: time.sleep(0.01))
        m = ev.of("done")[0]["metrics"]
        self.assertEqual(m["stopped"], "max_minutes")
        self.assertLessEqual(m["steps"], 1)
        self.assertEqual(m["total_steps"], 100)

    def test_sigterm_saves_and_resume_continues_at_that_step(self):
        full_ev, full = self.train("--max-steps", "8", "--log-every", "1", out="full")

        def term(n):
            if n == 3:
                os.kill(os.getpid(), signal.SIGTERM)

        with self.assertRaisesRegex(TrainerError, r"interrupted by SIGTERM at step 3; checkpoint saved, rerun with --resume"):
            self.train("--max-steps", "8", "--log-every", "1", on_loss=term)
        self.assertEqual(torch.load(os.path.join(self.dir, "run", "checkpoint.pt"))["step"], 3)

        ev, obj = self.train("--max-steps", "8", "--log-every", "1", "--resume")
        start = ev.of("start")[0]
        self.assertEqual((start["start_step"], start["resumed"]), (3, True))
        self.assertEqual(obj.seen, full.seen[3:])  # the same plan, from step 3
        self.assertEqual([e["step"] for e in ev.of("step")], [4, 5, 6, 7, 8])
        a = torch.load(os.path.join(self.dir, "full", "checkpoint.pt"))
        b = torch.load(os.path.join(self.dir, "run", "checkpoint.pt"))
        for k, v in a["state_dict"].items():
            self.assertTrue(torch.equal(v, b["state_dict"][k]), k)
        self.assertEqual(a["loss_history"], b["loss_history"])
        self.assertEqual(ev.of("done")[0]["metrics"]["final_train_loss"], full_ev.of("done")[0]["metrics"]["final_train_loss"])

    def test_resume_refuses_changed_data(self):
        self.train("--max-steps", "2")
        with self.assertRaisesRegex(TrainerError, r"fake\.jsonl: --resume: the data file changed since the checkpoint"):
            self.train("--max-steps", "4", "--resume", sha256="b" * 64)

    def test_a_non_finite_loss_stops_the_run(self):
        with self.assertRaisesRegex(TrainerError, r"the loss became nan by step 1"):
            self.train(loss_value=float("nan"))
