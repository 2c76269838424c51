"""SFT and reward-model data: one reader (validation with file:line:field errors), one batch planner, collation."""
import unittest

from rstar_trainer.data import (
    IGNORE,
    collate,
    collate_seqs,
    load_pair_data,
    load_point_data,
    load_token_data,
    padded_len,
    plan_batches,
)
from rstar_trainer.events import TrainerError
from rstar_trainer.sft import plan_sft_epoch

from .helpers import TempDirTest


class LoadTokenData(TempDirTest):
    def test_records_are_stored_flat_and_blank_lines_skipped(self):
        path = self.jsonl("d.jsonl", [{"ids": [1, 2, 3], "loss_from": 1}, "", {"ids": [4, 5], "loss_from": 0}])
        d = load_token_data(path, vocab_size=8, max_seq_len=4)
        self.assertEqual(len(d), 2)
        self.assertEqual(d.lengths, [3, 2])
        self.assertEqual(d.n_tokens, 5)
        self.assertEqual(d.ids(1).tolist(), [4, 5])
        # Targets: tokens at index >= max(loss_from, 1): 2 of the first record, 1 of the second.
        self.assertEqual(d.n_targets, 3)
        self.assertEqual(len(d.sha256), 64)

    def test_a_bad_line_is_named_with_its_field(self):
        cases = [
            ("not json", r"d\.jsonl:2: not valid JSON"),
            ({"loss_from": 0}, r'd\.jsonl:2: field "ids" is required'),
            ({"ids": [1], "loss_from": 0}, r'field "ids" needs at least 2 tokens'),
            ({"ids": [1, 2, 3, 4, 5], "loss_from": 0}, r"more than max_seq_len 4"),
            ({"ids": [1, 9], "loss_from": 0}, r'field "ids\[1\]" must be an integer token id in \[0, 8\)'),
            ({"ids": [1, True], "loss_from": 0}, r'field "ids\[1\]"'),
            ({"ids": [1, 2], "loss_from": 2}, r'field "loss_from" \(2\) must be in \[0, 2\)'),
            ({"ids": [1, 2], "loss_from": 0.5}, r'field "loss_from" must be an integer'),
        ]
        for bad, message in cases:
            with self.subTest(bad=bad):
                path = self.jsonl("d.jsonl", [{"ids": [1, 2], "loss_from": 1}, bad])
                with self.assertRaisesRegex(TrainerError, message):
                    load_token_data(path, vocab_size=8, max_seq_len=4)

    def test_empty_and_missing_files_are_errors(self):
        with self.assertRaisesRegex(TrainerError, "no records"):
            load_token_data(self.jsonl("empty.jsonl", [""]), 8, 4)
        with self.assertRaisesRegex(TrainerError, "cannot read"):
            load_token_data(self.dir + "/missing.jsonl", 8, 4)


class PlanAndCollate(TempDirTest):
    def data(self, lengths):
        return load_token_data(self.jsonl("d.jsonl", [{"ids": [1] * n, "loss_from": 1} for n in lengths]), 4, 64)

    def test_an_epoch_covers_every_example_once_deterministically(self):
        d = self.data([2 + (i * 7) % 30 for i in range(50)])
        a = plan_sft_epoch(d, seed=3, epoch=1, batch_size=4, batch_tokens=None)
        self.assertEqual(sorted(i for b in a for i in b), list(range(50)))
        self.assertTrue(all(len(b) <= 4 for b in a))
        self.assertEqual(a, plan_sft_epoch(d, seed=3, epoch=1, batch_size=4, batch_tokens=None))
        self.assertNotEqual(a, plan_sft_epoch(d, seed=3, epoch=2, batch_size=4, batch_tokens=None))

    def test_batch_tokens_caps_rows_times_padded_input_length(self):
        d = self.data([2 + (i * 7) % 30 for i in range(50)])
        for pad in (1, 8):
            batches = plan_sft_epoch(d, seed=0, epoch=0, batch_size=None, batch_tokens=64, pad_multiple=pad)
            self.assertEqual(sorted(i for b in batches for i in b), list(range(50)))
            for b in batches:
                longest = max(padded_len(d.lengths[i] - 1, pad) for i in b)
                self.assertTrue(len(b) == 1 or len(b) * longest <= 64, (b, longest))

    def test_collate_shifts_targets_and_ignores_the_prompt(self):
        path = self.jsonl("d.jsonl", [{"ids": [1, 2, 3, 4], "loss_from": 2}, {"ids": [5, 6], "loss_from": 0}])
        d = load_token_data(path, 8, 8)
        x, y, real = collate(d, [0, 1], pad_id=0, pad_multiple=4)
        self.assertEqual(x.tolist(), [[1, 2, 3, 0], [5, 0, 0, 0]])
        self.assertEqual(y.tolist(), [[IGNORE, 3, 4, IGNORE], [6, IGNORE, IGNORE, IGNORE]])
        self.assertEqual(real, 4)

    def test_padded_len(self):
        self.assertEqual([padded_len(n, 1) for n in (1, 5)], [1, 5])
        self.assertEqual([padded_len(n, 4) for n in (1, 4, 5)], [4, 4, 8])


class RewardData(TempDirTest):
    def test_pairs_default_weight_and_pad_to_the_longer_side(self):
        path = self.jsonl("p.jsonl", [{"chosen": [1, 2, 3], "rejected": [4]}, {"chosen": [5], "rejected": [6, 7], "weight": 2}])
        d = load_pair_data(path, 8, 8)
        self.assertEqual(d.weights, [1.0, 2.0])
        self.assertEqual(d.lengths, [3, 2])
        self.assertEqual(d.seqs.ids(3).tolist(), [6, 7])
        x, last = collate_seqs(d.seqs, [0, 1], pad_id=0)
        self.assertEqual(x.tolist(), [[1, 2, 3], [4, 0, 0]])
        self.assertEqual(last.tolist(), [2, 0])

    def test_bad_numbers_are_named(self):
        for bad, message in [
            ({"chosen": [1], "rejected": [2], "weight": 0}, r'field "weight" must be positive'),
            ({"chosen": [1], "rejected": [2], "weight": "1"}, r'field "weight" must be a finite number'),
            ({"chosen": [], "rejected": [2]}, r'field "chosen" needs at least 1 token'),
        ]:
            with self.subTest(bad=bad), self.assertRaisesRegex(TrainerError, r"p\.jsonl:1: " + message):
                load_pair_data(self.jsonl("p.jsonl", [bad]), 8, 8)
        with self.assertRaisesRegex(TrainerError, r'q\.jsonl:1: field "target" must be in \[-1\.0, 1\.0\]'):
            load_point_data(self.jsonl("q.jsonl", [{"ids": [1], "target": 1.5}]), 8, 8)
        with self.assertRaisesRegex(TrainerError, r'field "target" must be a finite number'):
            load_point_data(self.jsonl("q.jsonl", ['{"ids": [1], "target": NaN}']), 8, 8)

    def test_length_batches_cap_items_and_tokens_and_sort_for_evaluation(self):
        lengths = [5, 1, 9, 3, 7, 2, 8]
        ordered = plan_batches(lengths, seed=0, epoch=0, batch_size=3, shuffle=False)
        self.assertEqual(ordered, [[1, 5, 3], [0, 4, 6], [2]])
        capped = plan_batches(lengths, seed=1, epoch=0, batch_size=10, batch_tokens=20, rows_per_item=2)
        self.assertEqual(sorted(i for b in capped for i in b), list(range(7)))
        for b in capped:
            self.assertTrue(len(b) == 1 or len(b) * 2 * max(lengths[i] for i in b) <= 20, b)



class PinnedPlans(TempDirTest):
    """The plans the trainers made before they shared one planner. A plan must not change between
    versions: --resume continues a run at its step number in the plan it rebuilds."""

    LENGTHS = [5, 1, 9, 3, 7, 2, 8, 4, 6, 2]

    def test_reward_plans(self):
        self.assertEqual(plan_batches(self.LENGTHS, 2, 1, 3), [[8, 4, 6], [1, 5, 9], [2], [3, 7, 0]])
        self.assertEqual(plan_batches(self.LENGTHS, 2, 1, 4, batch_tokens=24, rows_per_item=2, pad_multiple=4),
                         [[2], [4], [0], [1, 5, 9], [8], [3, 7], [6]])

    def test_sft_plans(self):
        # Inputs of these lengths: each example has one more token (the last is only a target).
        d = load_token_data(self.jsonl("d.jsonl", [{"ids": [1] * (n + 1), "loss_from": 0} for n in self.LENGTHS]), 4, 64)
        self.assertEqual(plan_sft_epoch(d, 2, 1, None, 12), [[6], [8], [1, 5, 9, 3], [4], [7, 0], [2]])
        self.assertEqual(plan_sft_epoch(d, 2, 1, 2, None), [[6, 2], [7, 0], [1, 5], [8, 4], [9, 3]])

    def test_sorting_happens_inside_chunks(self):
        lengths = [9, 8, 7, 6, 5, 4, 3, 2, 1]
        batches = plan_batches(lengths, 0, 0, batch_size=1, chunk=3)
        self.assertEqual(sorted(i for b in batches for i in b), list(range(9)))
        batches = plan_batches(lengths, 0, 0, batch_size=3, chunk=len(lengths), shuffle=False)
        self.assertEqual(batches, [[8, 7, 6], [5, 4, 3], [2, 1, 0]])


if __name__ == "__main__":
    unittest.main()
