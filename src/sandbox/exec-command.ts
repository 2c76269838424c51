/**
 * `rstar exec --json`: runs programs through the sandbox.
 * Input: JSONL, one `{"id": string|number, "code": string, "timeout_ms"?: int}` per line (blank lines
 * are skipped). Output: one `{"id","status","stdout","error","ms"}` line per request, in input order
 * (programs run concurrently on the pool). A malformed line stops reading: the results of every
 * earlier line are still written, the error (with its line number) goes to stderr, and the exit code
 * is 2. Exit code 1: the sandbox could not start (the message says what to install).
 */
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { z } from 'zod';
import { createSandbox, type Sandbox } from './index.js';

export const ExecRequestSchema = z
  .object({
    id: z.union([z.string(), z.number()]),
    code: z.string(),
    timeout_ms: z.number().int().positive().max(600_000).optional(),
  })
  .strict();

export type ExecRequest = z.infer<typeof ExecRequestSchema>;

export interface ExecCommandOptions {
  workers?: number;
  unsafeNoSandbox?: boolean;
  /** Default time limit per program (ms). */
  timeoutMs?: number;
  /** Where diagnostics go (default: process.stderr). */
  stderr?: NodeJS.WritableStream;
  /** Use this sandbox instead of creating one (it is not closed). */
  sandbox?: Sandbox;
}

function describe(e: unknown): string {
  if (e instanceof z.ZodError) {
    return e.issues.map((i) => `field ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
  }
  if (e instanceof SyntaxError) return `invalid JSON (${e.message})`;
  return String((e as Error)?.message ?? e);
}

async function write(out: NodeJS.WritableStream, s: string): Promise<void> {
  if (!out.write(s)) await once(out, 'drain');
}

export async function runExecCommand(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, opts: ExecCommandOptions = {}): Promise<number> {
  const stderr = opts.stderr ?? process.stderr;
  let sandbox: Sandbox;
  try {
    sandbox = opts.sandbox ?? (await createSandbox({ workers: opts.workers, unsafeNoSandbox: opts.unsafeNoSandbox, timeoutMs: opts.timeoutMs }));
  } catch (e) {
    stderr.write(`rstar exec: ${(e as Error).message}\n`);
    return 1;
  }
  const maxInFlight = Math.max(2, sandbox.workers * 4);
  const inflight = new Set<Promise<unknown>>();
  let chain: Promise<void> = Promise.resolve();
  let exitCode = 0;
  let lineNo = 0;
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      lineNo++;
      if (!line.trim()) continue;
      let req: ExecRequest;
      try {
        req = ExecRequestSchema.parse(JSON.parse(line));
      } catch (e) {
        stderr.write(`rstar exec: input line ${lineNo}: ${describe(e)}\n`);
        exitCode = 2;
        break;
      }
      const result = sandbox.run(req.code, { timeoutMs: req.timeout_ms }).then(
        (r) => ({ id: req.id, status: r.status, stdout: r.stdout, error: r.error, ms: r.ms }),
        (e: unknown) => ({ id: req.id, status: 'crash', stdout: '', error: `Crash: ${(e as Error).message}`, ms: 0 }),
      );
      // Written in input order, each as soon as it and everything before it are done.
      chain = chain.then(async () => write(output, JSON.stringify(await result) + '\n'));
      const done = result.then(() => undefined);
      inflight.add(done);
      void done.then(() => inflight.delete(done));
      if (inflight.size >= maxInFlight) await Promise.race(inflight);
    }
  } finally {
    rl.close();
    await chain;
    if (!opts.sandbox) await sandbox.close();
  }
  return exitCode;
}
