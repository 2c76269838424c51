/**
 * One search's accounting: the `Meter` (call counts and the wall-time split that end up in the tree
 * file's `totals`) and `meteredDeps`, which wraps the search's policy, reward model and executor so
 * every call through them is counted and timed. Search code calls its dependencies as usual and never
 * counts anything itself.
 *
 * The decorators live here, not next to the model decorators in src/models/: they are per search (a
 * new set for each tree, around policies and reward models shared by many trees), they wrap the
 * sandbox's `Executor` as well as the models, and what they fill in is the search's `SearchTotals`.
 */
import type { Completion, GenerateRequest, Policy, RewardModel } from '../models/types.js';
import type { ExecOptions, ExecResult, Executor } from '../sandbox/types.js';
import type { SearchDeps } from './types.js';
import { emptyTotals, type SearchTotals } from './tree.js';

type Component = 'policy' | 'reward' | 'sandbox';

/**
 * Counts calls and splits one search's wall time into time awaiting each component and the
 * synchronous time in between (search bookkeeping). Overlapping awaits (beam search expands its beam
 * concurrently) share their common time, so the parts always sum to the wall time.
 */
export class Meter {
  readonly t0 = performance.now();
  private last = this.t0;
  private active: Record<Component, number> = { policy: 0, reward: 0, sandbox: 0 };
  totals: SearchTotals = emptyTotals();

  private tick(): void {
    const now = performance.now();
    const dt = now - this.last;
    this.last = now;
    let kinds = 0;
    for (const k of COMPONENTS) if (this.active[k] > 0) kinds++;
    if (kinds === 0) this.totals.bookkeepingMs += dt;
    else for (const k of COMPONENTS) if (this.active[k] > 0) this.totals[`${k}Ms`] += dt / kinds;
  }

  async wait<T>(kind: Component, p: Promise<T>): Promise<T> {
    this.tick();
    this.active[kind]++;
    try {
      return await p;
    } finally {
      this.tick();
      this.active[kind]--;
    }
  }

  finish(): SearchTotals {
    this.tick();
    this.totals.wallMs = this.last - this.t0;
    return { ...this.totals };
  }
}

const COMPONENTS: readonly Component[] = ['policy', 'reward', 'sandbox'];

/**
 * Counts every generate() call in `meter`: one policy call per request (each is merged separately by
 * a batching policy), its `n` sequences, and the tokens of every completion; time awaiting it is policy time.
 */
export class MeteredPolicy implements Policy {
  readonly name: string;
  readonly continuousBatching?: boolean;

  constructor(
    private readonly inner: Policy,
    private readonly meter: Meter,
  ) {
    this.name = inner.name;
    this.continuousBatching = inner.continuousBatching;
  }

  async generate(requests: GenerateRequest[]): Promise<Completion[][]> {
    const out = await this.meter.wait('policy', this.inner.generate(requests));
    const t = this.meter.totals;
    t.policyCalls += requests.length;
    for (const r of requests) t.policySequences += r.n;
    for (const seqs of out) for (const c of seqs) t.policyTokens += c.tokens;
    return out;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Counts every score() call and its texts in `meter`; time awaiting it is reward time. */
export class MeteredReward implements RewardModel {
  readonly name: string;

  constructor(
    private readonly inner: RewardModel,
    private readonly meter: Meter,
  ) {
    this.name = inner.name;
  }

  score(texts: string[]): Promise<number[]> {
    this.meter.totals.rewardCalls++;
    this.meter.totals.rewardTexts += texts.length;
    return this.meter.wait('reward', this.inner.score(texts));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Counts every run() in `meter`; time awaiting any run is sandbox time (concurrent runs count once,
 * from the first start to the last end).
 */
export class MeteredExecutor implements Executor {
  constructor(
    private readonly inner: Executor,
    private readonly meter: Meter,
  ) {}

  run(code: string, opts?: ExecOptions): Promise<ExecResult> {
    this.meter.totals.sandboxCalls++;
    return this.meter.wait('sandbox', this.inner.run(code, opts));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** `deps` with its policy, reward model (when there is one) and executor counted and timed by `meter`. */
export function meteredDeps(deps: SearchDeps, meter: Meter): SearchDeps {
  return {
    ...deps,
    policy: new MeteredPolicy(deps.policy, meter),
    executor: new MeteredExecutor(deps.executor, meter),
    reward: deps.reward ? new MeteredReward(deps.reward, meter) : undefined,
  };
}
