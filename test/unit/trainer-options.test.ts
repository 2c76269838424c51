import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { checkTrainerValue, trainerArgv, trainerDefault, trainerOption, trainerSchema } from '../../src/train/trainer-options.js';
import { REWARD_OBJECTIVES } from '../../src/train/trainer-process.js';

const sub = (c: Command, ...names: string[]): Command => names.reduce((cmd, n) => cmd.commands.find((s) => s.name() === n)!, c);
const flag = (c: Command, long: string): Option => {
  const o = c.options.find((x) => x.long === long);
  assert.ok(o, `${c.name()} has ${long}`);
  return o;
};

test('trainerArgv: camelCase options become the trainer flags; unset options are left to the trainer', () => {
  assert.deepEqual(trainerArgv('sft', { data: 'd.jsonl', out: 'o', batchSize: 32, lr: 0.001, resume: true, compile: false, valData: undefined, init: null }), [
    '--data',
    'd.jsonl',
    '--out',
    'o',
    '--batch-size',
    '32',
    '--lr',
    '0.001',
    '--resume',
  ]);
  assert.deepEqual(trainerArgv('init-ppm', { from: 'c.pt', out: 'o' }), ['--from', 'c.pt', '--out', 'o']);
});

test('trainerArgv rejects what the trainer does not declare, before anything starts', () => {
  // @ts-expect-error: the type is derived from options.json, so an unknown option does not compile either
  assert.throws(() => trainerArgv('sft', { data: 'd', out: 'o', learningRate: 0.1 }), /rstar_trainer sft: unknown option "learningRate" \(--learning-rate\)/);
  // @ts-expect-error: --objective is reward's, not sft's
  assert.throws(() => trainerArgv('sft', { data: 'd', out: 'o', objective: 'orm' }), /unknown option "objective"/);
  // @ts-expect-error: no such command
  assert.throws(() => trainerArgv('train', {}), /rstar_trainer has no command "train"/);
  for (const [opts, message] of [
    [{ data: 'd', out: 'o', device: 'tpu' }, /option "device" \(--device\) must be one of auto, cpu, cuda, got "tpu"/],
    [{ data: 'd', out: 'o', lr: 2 }, /option "lr" \(--lr\) must be between 0 and 1, got 2/],
    [{ data: 'd', out: 'o', epochs: 1.5 }, /option "epochs" \(--epochs\) must be an integer/],
    [{ data: 'd', out: 'o', epochs: '3' }, /option "epochs" \(--epochs\) must be a number, got "3"/],
    [{ data: 'd', out: 'o', resume: 'yes' }, /option "resume" \(--resume\) must be true or false/],
    [{ data: 'd' }, /rstar_trainer sft: option --out is required/],
  ] as const) {
    assert.throws(() => trainerArgv('sft', opts as Parameters<typeof trainerArgv<'sft'>>[1]), message);
  }
});

test("every declared default is valid for its own declaration (type, choices, bounds), as the trainer's unittest checks for argparse", () => {
  for (const [command, options] of trainerSchema()) {
    for (const [name, spec] of options) {
      if (spec.default === undefined) continue;
      assert.equal(checkTrainerValue(spec, spec.default), null, `${command} --${name} default ${spec.default}`);
      assert.ok(!spec.required, `${command} --${name}: required with a default`);
    }
  }
  assert.deepEqual(trainerOption('reward', 'objective').choices, [...REWARD_OBJECTIVES]);
});

test("rstar train's defaults, choices and bounds are the trainer's", () => {
  const train = sub(buildProgram(), 'train');
  const cases = [
    { cli: sub(train, 'policy'), trainer: 'sft' as const },
    { cli: sub(train, 'ppm'), trainer: 'reward' as const },
  ];
  let shared = 0;
  for (const { cli, trainer } of cases) {
    const declared = trainerSchema().get(trainer)!;
    for (const o of cli.options) {
      const name = o.long!.slice(2);
      const spec = declared.get(name);
      // CLI-only flags (--preset, --vocab-size, --val-fraction, ...) and the bundle-level ones the CLI turns into trainer files.
      if (!spec || ['data', 'out', 'init', 'val-pairs', 'objective'].includes(name)) continue;
      shared++;
      const where = `rstar train ${cli.name()} --${name}`;
      if (spec.default !== undefined) assert.equal(o.defaultValue, spec.default, `${where}: default`);
      else assert.ok(['epochs', 'batch-size'].includes(name) || o.defaultValue === undefined, `${where}: a default the trainer does not have`);
      assert.deepEqual(o.argChoices, spec.choices, `${where}: choices`);
      if (spec.min !== undefined) assert.throws(() => o.parseArg!(String(spec.min! - 1), undefined), /must be between/, `${where}: min`);
      if (spec.max !== undefined) assert.throws(() => o.parseArg!(String(spec.max! + 1), undefined), /must be between/, `${where}: max`);
    }
  }
  assert.ok(shared >= 15, `${shared} flags pass through to the trainer`);
  // The two defaults unified here, spelled out.
  assert.equal(flag(sub(train, 'policy'), '--lr').defaultValue, trainerDefault('sft', 'lr'));
  assert.equal(flag(sub(train, 'policy'), '--device').defaultValue, trainerDefault('sft', 'device'));
  assert.equal(flag(sub(train, 'ppm'), '--lr').defaultValue, trainerDefault('reward', 'lr'));
  assert.equal(flag(sub(train, 'ppm'), '--device').defaultValue, trainerDefault('reward', 'device'));
});
