import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { UserError } from './errors.js';

const program = buildProgram();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed its one-line message (unknown option, missing argument, ...).
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof UserError) {
    process.stderr.write(`rstar: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else {
    const err = e as Error;
    process.stderr.write(`rstar: ${err.message}\n`);
    if (process.env.RSTAR_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}
