import type { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BUNDLE } from '../../paths.js';
import { openRuntime, addModelOptions, modelOptions } from '../runtime.js';
import { solve } from '../../search/solve.js';
import type { SearchConfig, SearchMode } from '../../search/types.js';
import { addSearchOptions, searchConfigFrom, withReward } from '../search-options.js';
import { hashSeed } from '../../util/rng.js';
import { parseSolution } from '../../steps/protocol.js';
import { UserError } from '../errors.js';
import { intOption } from '../options.js';
import { ViewSource } from '../../view/source.js';
import { addViewServerOptions, showView } from './view.js';

export function registerSolve(program: Command): void {
  const cmd = program
    .command('solve')
    .description('solve a math question with deep thinking and print the reasoning steps, the executed output and the boxed answer')
    .argument('[question...]', 'the question (quote it), or use --question-file')
    .option('--question-file <file>', 'read the question from this file (- for stdin); for long questions')
    .option('--bundle <dir>', 'model bundle directory', DEFAULT_BUNDLE);
  addSearchOptions(cmd, 'MCTS guidance (terminal needs --gold)');
  addModelOptions(cmd);
  cmd
    .option('--gold <answer>', 'known answer: enables terminal-guided MCTS')
    .option('--save-trees <dir>', 'write the search tree JSON (MCTS, beam) to this directory')
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--view', 'then show the search tree in the browser (rstar view): serve it on --host/--port and print the URL')
    .option('--static <file>', 'with --view: write the tree viewer as one self-contained HTML file instead of serving');
  addViewServerOptions(cmd)
    .option('--json', 'print a JSON result')
    .action(async (words: string[], o) => {
      const question = readQuestion(words, o.questionFile);
      const mode = o.mode as SearchMode;
      if (o.static !== undefined && !o.view) throw new UserError('--static needs --view');
      if (o.view && mode !== 'mcts' && mode !== 'beam') throw new UserError(`--view shows a search tree: use --mode mcts or beam (--mode ${mode} builds none)`);
      const rt = await openRuntime({ bundle: o.bundle, threads: o.threads, seed: o.seed, unsafeNoSandbox: o.unsafeNoSandbox, ...modelOptions(o) });
      let view: ((extra: Record<string, unknown>) => Promise<void>) | null = null;
      let viewExtra: Record<string, unknown> = {};
      try {
        if (rt.engine) {
          const tokens = rt.engine.tokenizer.encode(question).length;
          const ctx = rt.engine.bundle.manifest.architecture.max_seq_len;
          if (tokens >= ctx) throw new UserError(`the question is ${tokens} tokens long; the policy's context is ${ctx} tokens (prompt and solution together)`);
        }
        const cfg: SearchConfig = { ...searchConfigFrom(o), gold: o.gold };
        const deps = withReward(rt.deps, cfg);
        if (mode === 'mcts' && o.guide === 'terminal' && o.gold === undefined) throw new UserError('--guide terminal needs --gold');
        const res = await solve(question, deps, cfg);
        if (o.saveTrees && res.tree) {
          mkdirSync(o.saveTrees, { recursive: true });
          const file = join(o.saveTrees, `tree-${hashSeed(o.seed, question).toString(16)}.json`);
          writeFileSync(file, JSON.stringify(res.tree) + '\n');
          if (!o.json) process.stderr.write(`tree saved: ${file}\n`);
        }
        const chosen = res.trajectories[res.chosen];
        if (o.view) {
          const tree = res.tree;
          if (!tree) throw new UserError('the search kept no tree to view');
          view = (extra) => showView(ViewSource.ofTree(tree, 'solve'), o, extra);
        }
        if (o.json) {
          const { tree: _tree, ...rest } = res;
          const result = { question, ...rest, solution: chosen ?? null, ...(rt.engine ? { kvCache: rt.engine.kvCacheSummary() } : {}) };
          // With --view, one JSON line: the result and where the viewer is.
          if (view) viewExtra = { result };
          else process.stdout.write(JSON.stringify(result) + '\n');
        } else {
          const out: string[] = [];
          if (chosen) {
            const parsed = parseSolution(chosen.text);
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
          } else out.push('(no complete solution found)');
          if (res.votes.length > 1 || res.mode === 'self-consistency') out.push(`votes: ${res.votes.map((v) => `${v.answer}×${v.count}`).join(', ')}`);
          if (res.totals) out.push(`search: ${res.totals.nodes} nodes, ${res.totals.rollouts} rollouts/steps, stop: ${res.totals.stopReason}`);
          out.push(`answer: ${res.answer ?? '(none)'}   [${res.tokens} tokens, ${(res.ms / 1000).toFixed(2)} s]`);
          process.stdout.write(out.join('\n') + '\n');
        }
      } finally {
        await rt.close();
      }
      // Models and sandbox are closed first: the viewer may stay up for long.
      if (view) await view(viewExtra);
    });
}

function readQuestion(words: string[], file: string | undefined): string {
  if (file !== undefined && words.length > 0) throw new UserError('give the question as arguments or with --question-file, not both');
  let text: string;
  if (file === undefined) text = words.join(' ');
  else {
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new UserError(`--question-file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  const question = text.trim();
  if (question === '')
    throw new UserError(
      file === undefined ? 'the question is empty (give it as arguments or with --question-file)' : `--question-file ${file}: the question is empty`,
    );
  return question;
}
