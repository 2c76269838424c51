import { Command, Option } from 'commander';
import { DEFAULT_BUNDLE } from '../paths.js';
import { openRuntime } from '../runtime.js';
import { solve } from '../../search/solve.js';
import { DEFAULT_SEARCH_CONFIG, type SearchMode } from '../../search/types.js';
import { parseSolution } from '../../steps/protocol.js';
import { UserError } from '../errors.js';
import { intOption, floatOption } from '../options.js';

export function registerSolve(program: Command): void {
  program
    .command('solve')
    .description('solve a math question with deep thinking and print the reasoning steps, the executed output and the boxed answer')
    .argument('<question...>', 'the question (quote it)')
    .option('--bundle <dir>', 'model bundle directory', DEFAULT_BUNDLE)
    .addOption(new Option('--mode <mode>', 'search mode').choices(['greedy', 'self-consistency']).default('greedy'))
    .option('-n, --samples <n>', 'samples for self-consistency', intOption('--samples', 1, 1024), 8)
    .option('--temperature <t>', 'sampling temperature', floatOption('--temperature', 0, 5), DEFAULT_SEARCH_CONFIG.temperature)
    .option('--seed <n>', 'random seed', intOption('--seed'), 0)
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--json', 'print a JSON result')
    .action(async (words: string[], o) => {
      const question = words.join(' ').trim();
      if (question === '') throw new UserError('the question is empty');
      const rt = await openRuntime({ bundle: o.bundle, threads: o.threads, seed: o.seed, unsafeNoSandbox: o.unsafeNoSandbox });
      try {
        const cfg = { ...DEFAULT_SEARCH_CONFIG, mode: o.mode as SearchMode, n: o.samples, temperature: o.temperature, seed: o.seed };
        const res = await solve(question, rt.deps, cfg);
        const chosen = res.trajectories[res.chosen];
        if (o.json) {
          process.stdout.write(JSON.stringify({ question, ...res, solution: chosen }) + '\n');
          return;
        }
        const parsed = parseSolution(chosen.text);
        const out: string[] = [];
        parsed.steps.forEach((s, i) => {
          out.push(`── step ${i + 1} ──`);
          out.push(s.text.replace(/^<code>\n?/, ''));
        });
        out.push('── output ──');
        out.push(chosen.output ?? `(${chosen.execStatus ?? 'not executed'}${chosen.execError ? ': ' + chosen.execError : ''})`);
        if (parsed.answer) {
          out.push('── answer ──');
          out.push(parsed.answer);
        }
        if (res.mode === 'self-consistency') out.push(`votes: ${res.votes.map((v) => `${v.answer}×${v.count}`).join(', ')}`);
        out.push(`answer: ${res.answer ?? '(none)'}   [${res.tokens} tokens, ${(res.ms / 1000).toFixed(2)} s]`);
        process.stdout.write(out.join('\n') + '\n');
      } finally {
        await rt.close();
      }
    });
}
