import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

const sub = (c: Command, ...names: string[]): Command => names.reduce((cmd, n) => cmd.commands.find((s) => s.name() === n)!, c);
const flag = (c: Command, long: string): Option => {
  const o = c.options.find((x) => x.long === long);
  assert.ok(o, `${c.name()} has ${long}`);
  return o;
};

test('synth takes the search flags of solve/eval (same bounds; same defaults but temperature); the bundle is --bundle everywhere', () => {
  const program = buildProgram();
  const synth = sub(program, 'synth');
  const evalCmd = sub(program, 'eval');
  const outcome = (o: Option, v: string) => {
    try {
      return o.parseArg!(v, undefined);
    } catch (e) {
      return (e as Error).message;
    }
  };
  for (const long of ['--rollouts', '--candidates', '--max-depth', '--temperature', '--seed']) {
    const a = flag(synth, long);
    const b = flag(evalCmd, long);
    for (const v of ['-1', '0', '1', '5', '5.5', '64', '65', '256', '257', '4096', '4097', 'x']) assert.deepEqual(outcome(a, v), outcome(b, v), `${long} ${v}`);
    if (long !== '--temperature') assert.equal(a.defaultValue, b.defaultValue, `${long} default`);
  }
  assert.equal(flag(synth, '--temperature').defaultValue, 1);
  for (const c of [synth, evalCmd, sub(program, 'solve'), sub(program, 'worker')]) {
    assert.ok(!flag(c, '--bundle').hidden, `${c.name()} --bundle`);
    assert.match(flag(c, '--policy').description, /served policy/, `${c.name()} --policy is the served model`);
  }
  // train ppm: --bundle, with --policy (its former name) still accepted but no longer shown.
  const ppm = sub(program, 'train', 'ppm');
  assert.ok(!flag(ppm, '--bundle').hidden);
  assert.ok(flag(ppm, '--policy').hidden);
});
