import { spawn, type ChildProcess } from 'node:child_process';
import type { ExecResult, ExecStatus } from './types.js';
import { EXEC_STATUSES } from './types.js';

/** How to start one fork server (a bwrap command line, or plain python in unsafe mode). */
export interface WorkerSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  /** Time allowed for the server to import sympy/numpy and pass its self-test. */
  startupTimeoutMs: number;
}

export interface ReadyInfo {
  pid: number;
  uid: number;
  seccomp: boolean;
  selftest: string;
  python: string;
}

interface Job {
  code: string;
  timeoutMs: number;
  resolve: (r: PoolResult) => void;
}

/** A result plus whether it reflects the program (cacheable) or the infrastructure failing. */
export interface PoolResult extends ExecResult {
  /** The infrastructure failed (dead or wedged server, child setup failed): never cached. */
  infra?: boolean;
  /** The watchdog killed the server. */
  watchdog?: boolean;
}

const STDERR_TAIL = 4096;

/** One warm fork server: one request at a time over a pipe, one JSON line each way. */
class Worker {
  readonly proc: ChildProcess;
  readonly ready: Promise<ReadyInfo>;
  info: ReadyInfo | null = null;
  job: Job | null = null;
  runs = 0;
  /** No new jobs: being replaced (recycling) or shutting down. */
  retired = false;
  /** Set when the server announced that it exits after its last reply. */
  retireReason: string | null = null;
  exited = false;
  private buf = '';
  private stderrTail = '';
  private watchdog: NodeJS.Timeout | null = null;
  private seq = 0;

  constructor(
    readonly spec: WorkerSpec,
    private readonly onReply: (w: Worker, job: Job, r: PoolResult) => void,
    private readonly onExit: (w: Worker, why: string) => void,
    private readonly graceMs: number,
  ) {
    this.proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      uid: spec.uid,
      gid: spec.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Idle workers must not keep the process alive; a pending job's watchdog timer does.
    this.proc.unref();
    for (const s of [this.proc.stdin, this.proc.stdout, this.proc.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    this.proc.stdin!.on('error', () => {
      /* EPIPE when the server died; the exit handler reports it */
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-STDERR_TAIL);
    });
    this.proc.stdout!.setEncoding('utf8');
    let readyResolve!: (i: ReadyInfo) => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise<ReadyInfo>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    this.ready.catch(() => undefined);
    const startTimer = setTimeout(() => {
      readyReject(new Error(`the sandbox server did not start within ${spec.startupTimeoutMs} ms${this.stderrHint()}`));
      this.kill();
    }, spec.startupTimeoutMs);
    this.proc.stdout!.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (!line.trim()) continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          this.stderrTail += `\n[unparsable reply] ${line.slice(0, 200)}`;
          this.kill();
          return;
        }
        if (this.info === null && 'ready' in msg) {
          clearTimeout(startTimer);
          if (msg.ready === true) {
            this.info = msg as unknown as ReadyInfo;
            readyResolve(this.info);
          } else {
            readyReject(new Error(String(msg.error ?? 'the sandbox server refused to start')));
            this.kill();
          }
          continue;
        }
        this.handleReply(msg);
      }
    });
    this.proc.on('error', (e) => {
      clearTimeout(startTimer);
      readyReject(e);
      this.finish(`could not start: ${e.message}`);
    });
    this.proc.on('exit', (code, signal) => {
      clearTimeout(startTimer);
      const why = `exited (${signal ?? 'status ' + code})${this.stderrHint()}`;
      readyReject(new Error(`the sandbox server ${why}`));
      this.finish(why);
    });
  }

  stderrHint(): string {
    const t = this.stderrTail.trim();
    return t ? `: ${t.split('\n').slice(-6).join(' | ')}` : '';
  }

  private finish(why: string): void {
    if (this.exited) return;
    this.exited = true;
    this.clearWatchdog();
    this.onExit(this, why);
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  get idle(): boolean {
    return this.info !== null && !this.exited && this.job === null;
  }

  exec(job: Job): void {
    this.job = job;
    const id = ++this.seq;
    this.proc.stdin!.write(JSON.stringify({ id, code: job.code, timeout_ms: job.timeoutMs }) + '\n');
    // The server enforces the deadline itself; this only catches a wedged server.
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      const j = this.job;
      if (!j) return;
      // Retire (and kill) before answering: answering dispatches the next job, which must not land
      // on this dying server.
      this.kill();
      this.job = null;
      this.onReply(this, j, {
        status: 'timeout',
        stdout: '',
        error: `TimeoutError: the sandbox server did not answer within ${job.timeoutMs + this.graceMs} ms (restarted)`,
        ms: job.timeoutMs + this.graceMs,
        infra: true,
        watchdog: true,
      });
    }, job.timeoutMs + this.graceMs);
  }

  private handleReply(msg: Record<string, unknown>): void {
    const job = this.job;
    if (!job) return;
    this.clearWatchdog();
    this.job = null;
    this.runs++;
    const status = EXEC_STATUSES.includes(msg.status as ExecStatus) ? (msg.status as ExecStatus) : 'crash';
    const r: PoolResult = {
      status,
      stdout: typeof msg.stdout === 'string' ? msg.stdout : '',
      error: typeof msg.error === 'string' ? msg.error : status === 'ok' ? null : 'Error',
      ms: typeof msg.ms === 'number' ? msg.ms : 0,
      traceback: typeof msg.traceback === 'string' ? msg.traceback : null,
    };
    // The server's own failures (a child that could not be set up) are not the program's outcome.
    if (msg.infra === true) r.infra = true;
    // The server is about to exit (it could not clean up, or its state changed): it gets nothing more.
    if (typeof msg.retire === 'string') {
      this.retired = true;
      this.retireReason = msg.retire;
    }
    this.onReply(this, job, r);
  }

  /** Closes stdin: the server finishes and exits. */
  shutdown(): void {
    this.retired = true;
    try {
      this.proc.stdin!.end();
    } catch {
      /* already gone */
    }
  }

  /** SIGKILL of bwrap takes its PID namespace (the server and any child) with it. */
  kill(): void {
    this.retired = true;
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

export interface PoolOptions {
  workers: number;
  /** Called for every server started (unsafe mode gives each its own scratch directory). */
  spec: () => WorkerSpec;
  /** Extra time over a request's timeout before the watchdog kills the server. */
  graceMs: number;
  /** Replace a server after this many runs. */
  recycleAfter: number;
}

export interface PoolCounters {
  restarts: number;
  watchdogKills: number;
  recycled: number;
  /** Servers that announced their exit after a reply (dirty scratch area, changed state). */
  retired: number;
}

/** A pool of warm fork servers fed from one queue. */
export class WorkerPool {
  private workers: Worker[] = [];
  private queue: Job[] = [];
  private closing = false;
  private failure: Error | null = null;
  private startFailures = 0;
  readonly counters: PoolCounters = { restarts: 0, watchdogKills: 0, recycled: 0, retired: 0 };
  private replacing = new Set<Worker>();

  constructor(private readonly o: PoolOptions) {}

  /** Starts every worker; rejects (and kills them) if any cannot start. */
  async start(): Promise<ReadyInfo[]> {
    const ws = Array.from({ length: this.o.workers }, () => this.spawnWorker());
    try {
      const infos = await Promise.all(ws.map((w) => w.ready));
      this.dispatch();
      return infos;
    } catch (e) {
      this.closing = true;
      for (const w of ws) w.kill();
      throw e;
    }
  }

  private spawnWorker(): Worker {
    const w = new Worker(
      this.o.spec(),
      (wk, job, r) => this.onReply(wk, job, r),
      (wk, why) => this.onExit(wk, why),
      this.o.graceMs,
    );
    this.workers.push(w);
    w.ready.then(
      () => {
        this.startFailures = 0;
        this.dispatch();
      },
      () => undefined,
    );
    return w;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  get busy(): number {
    return this.workers.filter((w) => w.job !== null).length;
  }

  pids(): number[] {
    return this.workers.filter((w) => !w.exited && w.proc.pid !== undefined).map((w) => w.proc.pid!);
  }

  run(code: string, timeoutMs: number): Promise<PoolResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the sandbox is closed'));
    return new Promise<PoolResult>((resolve) => {
      this.queue.push({ code, timeoutMs, resolve });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const w of this.workers) {
      if (this.queue.length === 0) break;
      if (!w.idle || w.retired) continue;
      w.exec(this.queue.shift()!);
    }
    this.updateRef();
  }

  /**
   * Server processes and pipes are unref'd so that an idle pool does not keep Node alive; while any
   * work is queued or running (possibly waiting for a server to restart) this timer does.
   */
  private keepAlive: NodeJS.Timeout | null = null;
  private updateRef(): void {
    const pending = this.queue.length > 0 || this.workers.some((w) => w.job !== null);
    if (pending && !this.keepAlive) this.keepAlive = setInterval(() => undefined, 1 << 30);
    else if (!pending && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  }

  private onReply(w: Worker, job: Job, r: PoolResult): void {
    if (r.watchdog) this.counters.watchdogKills++;
    if (w.retireReason !== null) this.counters.retired++;
    job.resolve(r);
    if (!w.retired && w.runs >= this.o.recycleAfter && !this.replacing.has(w) && !this.closing) this.recycle(w);
    if (w.retired && w.job === null && !w.exited && !this.replacing.has(w)) w.shutdown();
    this.dispatch();
  }

  /** Starts a replacement; the old server keeps serving until the new one is warm. */
  private recycle(old: Worker): void {
    this.replacing.add(old);
    const fresh = this.spawnWorker();
    fresh.ready.then(
      () => {
        this.replacing.delete(old);
        this.counters.recycled++;
        old.retired = true;
        if (old.job === null) old.shutdown();
        this.dispatch();
      },
      () => {
        this.replacing.delete(old); // keep the old one; the failed fresh one is dropped by onExit
      },
    );
  }

  private onExit(w: Worker, why: string): void {
    this.workers = this.workers.filter((x) => x !== w);
    const job = w.job;
    w.job = null;
    if (job) {
      job.resolve({
        status: 'crash',
        stdout: '',
        error: `Crash: the sandbox server ${why}`,
        ms: 0,
        infra: true,
      });
    }
    if (this.closing) {
      this.updateRef();
      return;
    }
    if (w.info === null) this.startFailures++;
    if (this.startFailures >= 3) {
      this.fail(new Error(`the sandbox server keeps failing to start: ${why}`));
      return;
    }
    // Keep the pool at its size (a recycled server was already replaced).
    const live = this.workers.filter((x) => !x.retired || this.replacing.has(x)).length;
    if (live < this.o.workers) {
      this.counters.restarts++;
      this.spawnWorker();
    }
    this.dispatch();
  }

  private fail(e: Error): void {
    this.failure = e;
    for (const j of this.queue.splice(0)) {
      j.resolve({ status: 'crash', stdout: '', error: `Crash: ${e.message}`, ms: 0, infra: true });
    }
    this.updateRef();
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const j of this.queue.splice(0)) {
      j.resolve({ status: 'crash', stdout: '', error: 'Crash: the sandbox was closed', ms: 0, infra: true });
    }
    const ws = [...this.workers];
    await Promise.all(
      ws.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exited) return resolve();
            w.proc.ref();
            const t = setTimeout(() => w.kill(), w.job ? 100 : 2000);
            w.proc.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            if (w.job) w.kill();
            else w.shutdown();
          }),
      ),
    );
    this.updateRef();
  }
}
