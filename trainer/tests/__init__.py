"""Unit tests of the trainer's pure pieces (data reading and batch planning, the LR schedule, the CLI,
the model config, manifest paths): tiny inputs, no training. From the repository root:

    python3 -m unittest discover -s trainer/tests -t trainer

(`-t trainer` puts trainer/ on the path, so ``rstar_trainer`` imports as it does in production;
scripts/test-trainer.sh picks the Python that has torch, as the TypeScript side does.)
"""
