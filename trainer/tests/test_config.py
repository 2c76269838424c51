"""The model config stored in every checkpoint, and the paths written into manifests."""
import os
import unittest

from rstar_trainer.config import ModelConfig
from rstar_trainer.events import TrainerError
from rstar_trainer.paths import REPO_ROOT, portable

BASE = {"vocab_size": 16, "d_model": 32, "n_layers": 1, "n_heads": 4, "d_ff": 64, "max_seq_len": 32}


class Config(unittest.TestCase):
    def test_defaults_and_a_bundle_architecture(self):
        c = ModelConfig.from_dict({**BASE, "type": "llama"})
        self.assertEqual((c.n_kv_heads, c.head_dim, c.kind, c.rope_theta, c.pad_id), (4, 8, "policy", 10000.0, 0))
        self.assertEqual(ModelConfig.from_dict(c.to_dict()), c)

    def test_invalid_configs_name_the_field(self):
        for change, message in [
            ({"d_ff": "64"}, r'field "d_ff" must be an integer \(got "64"\)'),
            ({"colour": 1}, r'unknown field "colour"'),
            ({"type": "gpt2"}, r'field "type": only "llama" is supported'),
            ({"n_heads": 3}, r'field "d_model" \(32\) must be divisible by n_heads \(3\)'),
            ({"n_heads": 8, "d_model": 24}, r"head_dim = d_model / n_heads = 3 must be even"),
            ({"n_kv_heads": 3}, r'field "n_kv_heads" \(3\) must divide n_heads \(4\)'),
            ({"pad_id": 16}, r'field "pad_id" \(16\) must be in \[0, vocab_size\)'),
            ({"kind": "orm"}, r'field "kind" must be one of policy, ppm'),
            ({"tie_embeddings": 1}, r'field "tie_embeddings" must be true or false'),
        ]:
            with self.subTest(change=change), self.assertRaisesRegex(TrainerError, r"^m\.json: " + message):
                ModelConfig.from_dict({**BASE, **change}, where="m.json")
        with self.assertRaisesRegex(TrainerError, r'field "d_ff" is required'):
            ModelConfig.from_dict({k: v for k, v in BASE.items() if k != "d_ff"})


class Portable(unittest.TestCase):
    def test_inside_the_repository_relative_else_the_file_name(self):
        self.assertEqual(portable(os.path.join(REPO_ROOT, "runs", "a", "sft.jsonl")), os.path.join("runs", "a", "sft.jsonl"))
        self.assertEqual(portable("/elsewhere/data/pairs.jsonl"), "pairs.jsonl")


if __name__ == "__main__":
    unittest.main()
