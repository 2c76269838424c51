import { Command } from 'commander';
import { registerSolve } from './commands/solve.js';
import { registerEval } from './commands/eval.js';
import { registerGen } from './commands/gen.js';
import { registerProbe } from './commands/probe.js';
import { registerTrain } from './commands/train.js';
import { registerIoCommands } from './commands/io-commands.js';
import { registerSynth } from './commands/synth.js';
import { registerExtract } from './commands/extract.js';
import { registerServe } from './commands/serve.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerEvolve, registerAblate } from './commands/evolve.js';
import { registerReport } from './commands/report.js';
import { registerView } from './commands/view.js';
import { registerWorker } from './commands/worker.js';

/** The `rstar` command tree (parsed by ./main.ts; walked by the tests). */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('rstar')
    .description('rStar-Math in TypeScript: deep thinking with MCTS over code-augmented reasoning steps')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  registerSolve(program);
  registerEval(program);
  registerGen(program);
  registerProbe(program);
  registerTrain(program);
  registerIoCommands(program);
  registerSynth(program);
  registerExtract(program);
  registerServe(program);
  registerAnalyze(program);
  registerEvolve(program);
  registerAblate(program);
  registerReport(program);
  registerView(program);
  registerWorker(program);
  return program;
}
