import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

/** Every command that runs (a leaf of the command tree), by its full name. */
function leaves(c: Command, prefix = ''): Array<{ name: string; cmd: Command }> {
  const name = `${prefix}${prefix ? ' ' : ''}${c.name()}`;
  return c.commands.length ? c.commands.flatMap((s) => leaves(s, name)) : [{ name, cmd: c }];
}

test('every rstar command has --json', () => {
  const all = leaves(buildProgram());
  assert.ok(
    all.some((l) => l.name === 'rstar ablate reward-models'),
    'the walk reaches nested commands',
  );
  const missing = all.filter((l) => !l.cmd.options.some((o) => o.long === '--json')).map((l) => l.name);
  assert.deepEqual(missing, []);
});
