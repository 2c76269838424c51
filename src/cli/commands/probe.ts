import { type Command, Option } from 'commander';
import { CURRICULUM_VERSIONS, LADDER_LEVELS, type CurriculumVersion } from '../../data/curriculum/index.js';
import { DEFAULT_BAND, parseLevels, probeFrontier, type ProbeResult } from '../../evolve/probe.js';
import { DEFAULT_BUNDLE } from '../../paths.js';
import { addModelOptions, modelOptions, openRuntime } from '../runtime.js';
import { startProgress } from '../progress.js';
import { UserError } from '../errors.js';
import { floatOption, intOption } from '../options.js';

function parseBand(s: string): [number, number] {
  const m = /^\s*([0-9.]+)\s*,\s*([0-9.]+)\s*$/.exec(s);
  const band = m ? ([Number(m[1]), Number(m[2])] as [number, number]) : null;
  if (!band || !(band[0] >= 0 && band[0] <= band[1] && band[1] <= 1)) throw new UserError(`--band must be LO,HI with 0 <= LO <= HI <= 1, got "${s}"`);
  return band;
}

export function formatProbe(r: ProbeResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
  const hasGreedy = r.levels.some((l) => l.greedy !== undefined);
  const head = `level  seed  problems   pass@1  pass@${r.samples}${hasGreedy ? '   greedy' : ''}  frontier`;
  const rows = r.levels.map(
    (l) =>
      `${String(l.level).padStart(5)}  ${l.seed ? 'seed' : '    '}  ${String(l.problems).padStart(8)}  ${pct(l.pass1)}  ${pct(l.passK).padStart(5 + String(r.samples).length)}` +
      `${hasGreedy ? `  ${pct(l.greedy ?? 0)}` : ''}  ${l.frontier ? 'yes' : ''}`,
  );
  const lines = [
    `frontier probe: curriculum ${r.curriculum}, ${r.count} ${r.split} problems per level (seed ${r.seed}), ${r.samples} samples at T=${r.temperature}`,
    head,
    ...rows,
    `frontier (pass@${r.samples} > 0, mean pass@1 in [${r.band[0]}, ${r.band[1]}]): ${r.frontier.length ? r.frontier.join(', ') : 'none'}`,
    ...r.warnings.map((w) => `warning: ${w}`),
    `${r.tokens} tokens, ${r.wallSeconds}s`,
  ];
  return lines.join('\n');
}

export function registerProbe(program: Command): void {
  const cmd = program
    .command('probe')
    .description(
      'frontier probe: k samples per problem at temperature T on each curriculum level; pass@1 (mean), pass@k, optional greedy, and the levels ' +
        'where the policy succeeds sometimes (where self-evolution can climb); warns when there are none',
    )
    .option('--bundle <dir>', 'model bundle directory', DEFAULT_BUNDLE)
    .addOption(
      new Option('--curriculum <version>', 'ladder: v2 (ten one-step rungs) or v1 (the five original levels)').choices([...CURRICULUM_VERSIONS]).default('v2'),
    )
    .option('--levels <list>', 'levels to probe: a range like 1-10 or a list like 1+4+5 (default: every level of the ladder)')
    .option('--count <n>', 'problems per level', intOption('--count', 1, 100_000), 20)
    .option('--samples <k>', 'samples per problem (the k of pass@k)', intOption('--samples', 1, 256), 8)
    .option('--temperature <t>', 'sampling temperature', floatOption('--temperature', 0, 5), 1)
    .option('--seed <n>', 'curriculum seed of the probe problems', intOption('--seed'), 999)
    .addOption(new Option('--split <split>', 'curriculum split').choices(['train', 'test']).default('test'))
    .option('--search-seed <n>', 'sampling seed', intOption('--search-seed'), 0)
    .option('--greedy', 'also decode greedily (one more pass)')
    .option('--band <lo,hi>', `frontier band for mean pass@1 (default ${DEFAULT_BAND.join(',')})`)
    .option('--concurrency <n>', 'problems in flight', intOption('--concurrency', 1, 4096), 64)
    .option('--threads <n>', 'ONNX Runtime threads', intOption('--threads', 1, 256))
    .option('--unsafe-no-sandbox', 'run model code without isolation (development only)')
    .option('--quiet', 'no progress output')
    .option('--json', 'print the result as JSON on stdout');
  addModelOptions(cmd);
  cmd.action(async (o) => {
    const curriculum = o.curriculum as CurriculumVersion;
    let levels: number[];
    try {
      levels = o.levels ? parseLevels(o.levels) : Array.from({ length: LADDER_LEVELS[curriculum] }, (_, i) => i + 1);
    } catch (e) {
      throw new UserError(`--levels: ${(e as Error).message}`);
    }
    const bad = levels.find((l) => l < 1 || l > LADDER_LEVELS[curriculum]);
    if (bad !== undefined) throw new UserError(`--levels: level ${bad} is outside the ${curriculum} levels 1-${LADDER_LEVELS[curriculum]}`);
    const band = o.band ? parseBand(o.band) : DEFAULT_BAND;
    const rt = await openRuntime({ bundle: o.bundle, threads: o.threads, seed: o.searchSeed, unsafeNoSandbox: o.unsafeNoSandbox, ...modelOptions(o) });
    try {
      const total = levels.length * o.count * (o.greedy ? 2 : 1);
      const bar = startProgress('probe', total, o.quiet);
      let solved = 0;
      let done = 0;
      const r = await probeFrontier(rt.deps, {
        curriculum,
        levels,
        count: o.count,
        samples: o.samples,
        temperature: o.temperature,
        seed: o.seed,
        split: o.split,
        searchSeed: o.searchSeed,
        greedy: !!o.greedy,
        band,
        concurrency: o.concurrency,
        policyName: o.bundle,
        onResult: (res) => {
          done++;
          solved += res.samples?.some((s) => s.correct) || res.correct ? 1 : 0;
          bar.tick({ solved: `${solved}/${done}` });
        },
      });
      bar.stop();
      if (!o.quiet) for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write((o.json ? JSON.stringify(r) : formatProbe(r)) + '\n');
    } finally {
      await rt.close();
    }
  });
}
