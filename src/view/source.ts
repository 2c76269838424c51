/**
 * What `rstar view` shows: the named target (a tree JSON file, a directory of them, an eval results
 * file, a synthesis/sampling run directory or an evolve run directory) as a catalogue of views and
 * trees under opaque keys. Every file it will ever read is found when it opens, inside the named run;
 * a key from the page only selects among them. Readers are the project's own (synthesis shards,
 * eval results and sidecar, the evolve report), so a malformed input fails with its file and field.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { readRunManifest, RUN_MANIFEST_FILE } from '../synth/run-manifest.js';
import { readRun, type SynthRecord } from '../synth/synth-run.js';
import { loadReport, readResults, summarizeFile, levelCell, modeLabel } from '../evolve/report.js';
import { EVAL_MODES, roundDir, type EvalModeName } from '../evolve/layout.js';
import { EVOLVE_STATE_FILE } from '../evolve/state.js';
import { readTreeFile, type TreeJSON } from '../search/tree-file.js';
import type { ProblemResult } from '../eval/types.js';
import { evalPlots, evolvePlots } from './plots.js';
import type { Catalogue, EvalRow, StaticData, ViewDoc, ViewEntry, ViewKind } from './types.js';

interface Entry extends ViewEntry {
  /** Absolute path of what the view reads. */
  path: string;
  /** For eval results: the mode its file name says (a fallback when the sidecar is missing). */
  evalMode?: EvalModeName;
}

const TREE_KEY = /^(v\d+)\.(\d+)$/;

export class ViewSource {
  private readonly entries = new Map<string, Entry>();
  private readonly docs = new Map<string, ViewDoc>();
  /** Per view: how to get its i-th tree. */
  private readonly treeLoaders = new Map<string, Array<() => TreeJSON>>();

  private constructor(readonly title: string) {}

  /** Opens a target named on the command line; throws a one-line message when it is not one. */
  static open(target: string): ViewSource {
    const path = resolve(target);
    if (!existsSync(path)) throw new Error(`${target}: no such file or directory`);
    const src = new ViewSource(basename(path));
    const kind = detect(path);
    if (kind === null) {
      throw new Error(
        `${target}: not something rstar view shows (a tree JSON file, a directory of them, eval results .jsonl, a synthesis run or an evolve run directory)`,
      );
    }
    src.add({ kind, label: target, path, evalMode: kind === 'eval' ? modeFromName(path) : undefined });
    if (kind === 'evolve') src.addEvolveParts(path);
    return src;
  }

  /** One tree held in memory (`rstar solve --view`). */
  static ofTree(tree: TreeJSON, title: string): ViewSource {
    const src = new ViewSource(title);
    src.add({ kind: 'tree', label: title, path: '' });
    src.treeLoaders.set('v0', [() => tree]);
    src.docs.set('v0', { kind: 'tree', title, tree: 'v0.0' });
    return src;
  }

  private add(e: Omit<Entry, 'key'>): string {
    const key = `v${this.entries.size}`;
    this.entries.set(key, { ...e, key });
    return key;
  }

  /** The runs and results inside an evolve run: each round's synthesis/sampling runs and eval files. */
  private addEvolveParts(run: string): void {
    const rep = loadReport(run);
    for (const st of [...rep.state.rounds].sort((a, b) => a.round - b.round)) {
      const dir = roundDir(run, st.round);
      if (existsSync(dir)) {
        for (const name of readdirSync(dir).sort()) {
          const sub = join(dir, name);
          if (detect(sub) === 'synth') this.add({ kind: 'synth', label: relative(run, sub), path: sub });
        }
      }
      for (const mode of EVAL_MODES) {
        const rel = st.eval[mode];
        if (rel && existsSync(join(run, rel)) && inside(run, join(run, rel))) this.add({ kind: 'eval', label: rel, path: join(run, rel), evalMode: mode });
      }
    }
  }

  catalogue(): Catalogue {
    return { format: 'rstar-ts/view@1', title: this.title, views: [...this.entries.values()].map(({ key, kind, label }) => ({ key, kind, label })) };
  }

  /** A view's document (built once), or null for an unknown key. */
  view(key: string): ViewDoc | null {
    const e = this.entries.get(key);
    if (!e) return null;
    let doc = this.docs.get(key);
    if (!doc) {
      doc = this.build(e);
      this.docs.set(key, doc);
    }
    return doc;
  }

  /** A tree by key (`v3.12`), or null when there is none. */
  tree(key: string): TreeJSON | null {
    const m = TREE_KEY.exec(key);
    if (!m || !this.entries.has(m[1])) return null;
    this.view(m[1]);
    const load = this.treeLoaders.get(m[1])?.[Number(m[2])];
    return load ? load() : null;
  }

  /** Every view and every tree, for a static export. */
  everything(): StaticData {
    const data: StaticData = { catalogue: this.catalogue(), views: {}, trees: {} };
    for (const key of this.entries.keys()) {
      data.views[key] = this.view(key)!;
      const loaders = this.treeLoaders.get(key) ?? [];
      loaders.forEach((load, i) => (data.trees[`${key}.${i}`] = load()));
    }
    return data;
  }

  private build(e: Entry): ViewDoc {
    const trees: Array<() => TreeJSON> = [];
    this.treeLoaders.set(e.key, trees);
    const treeKey = (load: () => TreeJSON) => `${e.key}.${trees.push(load) - 1}`;
    const title = e.key === 'v0' ? this.title : e.label;
    switch (e.kind) {
      case 'tree': {
        const tree = readTreeFile(e.path);
        return { kind: 'tree', title: tree.question, tree: treeKey(() => tree) };
      }
      case 'trees': {
        const notes: string[] = [];
        const rows = treeFiles(e.path).flatMap((name) => {
          const file = join(e.path, name);
          let t: TreeJSON;
          try {
            t = readTreeFile(file);
          } catch (err) {
            notes.push((err as Error).message.replace(file, name));
            return [];
          }
          return [
            {
              file: name,
              question: t.question,
              mode: t.mode,
              answer: t.answer,
              gold: t.gold,
              nodes: t.nodes.length,
              tokens: Number(t.totals.policyTokens ?? 0),
              tree: treeKey(() => readTreeFile(file)),
            },
          ];
        });
        return { kind: 'trees', title, rows, notes };
      }
      case 'synth': {
        const records = readRun(e.path);
        const manifest = existsSync(join(e.path, RUN_MANIFEST_FILE)) ? readRunManifest(e.path) : null;
        const rows = records.map((r: SynthRecord) => {
          const tree = r.tree; // validated by readRun
          return {
            id: r.id,
            level: r.level,
            tier: r.tier,
            solveRate: r.solveRate,
            correctTerminals: r.correctTerminals,
            terminals: r.terminals,
            correct: r.correct,
            answer: r.answer,
            gold: r.gold,
            question: r.question,
            tokens: r.tokens,
            nodes: tree.nodes.length,
            tree: treeKey(() => tree),
          };
        });
        return {
          kind: 'synth',
          title,
          status: manifest?.status ?? null,
          config: manifest ? { ...manifest.config } : null,
          rows,
          notes: manifest ? [] : ['no manifest.json: the run configuration is unknown'],
        };
      }
      case 'eval': {
        const results = readResults(e.path);
        const summary = summarizeFile(e.path, e.evalMode ?? 'greedy');
        const notes: string[] = [];
        const dir = dirname(e.path);
        const rows = results.map((r: ProblemResult & { tree?: unknown }): EvalRow => {
          let tree: string | null = null;
          if (typeof r.tree === 'string') {
            const file = resolve(dir, r.tree);
            if (!inside(dir, file)) notes.push(`problem "${r.id}": its tree ${JSON.stringify(r.tree)} is outside the results file's directory; not shown`);
            else if (!existsSync(file)) notes.push(`problem "${r.id}": its tree ${JSON.stringify(r.tree)} is not found`);
            else tree = treeKey(() => readTreeFile(file));
          }
          return {
            id: r.id,
            level: r.level ?? null,
            gold: r.gold,
            answer: r.answer ?? null,
            verdict: r.verdict,
            correct: r.correct,
            tokens: r.tokens,
            ms: r.ms,
            prediction: typeof r.prediction === 'string' ? r.prediction : '',
            votes: Array.isArray(r.votes) ? r.votes : null,
            error: typeof r.error === 'string' ? r.error : null,
            tree,
          };
        });
        return { kind: 'eval', title, summary, plots: evalPlots(summary), rows, notes };
      }
      case 'evolve': {
        const rep = loadReport(e.path);
        const n = rep.state.evalN;
        const labels = EVAL_MODES.map((m) => modeLabel(m, n));
        const parts = [...this.entries.values()].filter((x) => x.key !== e.key);
        return {
          kind: 'evolve',
          title,
          command: rep.state.command,
          testSet: rep.state.testSet,
          evalN: n,
          modes: labels,
          plots: evolvePlots(rep),
          notes: rep.notes,
          rounds: rep.rounds.map((r) => {
            const st = rep.state.rounds.find((x) => x.round === r.round)!;
            const prefix = `round-${r.round}/`;
            return {
              round: r.round,
              status: r.status,
              policy: st.policy,
              accuracy: Object.fromEntries(EVAL_MODES.map((m, i) => [labels[i], r.summaries[m]?.accuracy ?? null])),
              coverage: st.coverage ? { solved: st.coverage.solved, total: st.coverage.total } : null,
              sftExamples: st.sftExamples,
              ppmPairs: st.ppmPairs,
              ppmPairAccuracy: st.ppmPairAccuracy,
              perLevel: [...rep.levels, 'all'].map((level) => ({
                level,
                cells: Object.fromEntries(EVAL_MODES.map((m, i) => [labels[i], levelCell(r.summaries[m], level)])),
              })),
              links: parts.filter((p) => p.label.startsWith(prefix)).map((p) => ({ label: p.label.slice(prefix.length), view: p.key })),
            };
          }),
        };
      }
    }
  }
}

/** What a path is, by its contents; null when the viewer has nothing to show for it. */
function detect(path: string): ViewKind | null {
  const st = statSync(path);
  if (st.isDirectory()) {
    if (existsSync(join(path, EVOLVE_STATE_FILE))) return 'evolve';
    if (isSynthRun(path)) return 'synth';
    return treeFiles(path).length ? 'trees' : null;
  }
  if (path.endsWith('.jsonl')) return 'eval';
  if (path.endsWith('.json')) return 'tree';
  return null;
}

/** A synthesis (or sampling) run: a manifest, or shards under trees/ (src/synth/shard-store.ts). */
function isSynthRun(dir: string): boolean {
  const trees = join(dir, 'trees');
  if (!existsSync(trees) || !statSync(trees).isDirectory()) return false;
  return existsSync(join(dir, RUN_MANIFEST_FILE)) || readdirSync(trees).some((n) => /^shard-\d{5}\.jsonl(\.gz)?$/.test(n));
}

const treeFiles = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.json') && !n.endsWith('.meta.json') && statSync(join(dir, n)).isFile())
    .sort();

/** Whether `file` lies inside `dir` (no `..` out of it, no other root, no symlink out of it). */
function inside(dir: string, file: string): boolean {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
  const rel = relative(real(dir), real(file));
  return rel !== '' && rel.split(sep)[0] !== '..' && !isAbsolute(rel);
}

function modeFromName(file: string): EvalModeName | undefined {
  const stem = basename(file, '.jsonl');
  return (EVAL_MODES as readonly string[]).includes(stem) ? (stem as EvalModeName) : undefined;
}
