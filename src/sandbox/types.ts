/** How one execution of model-written Python ended. */
export type ExecStatus = 'ok' | 'error' | 'timeout' | 'output_limit' | 'memory' | 'crash';

export const EXEC_STATUSES: readonly ExecStatus[] = ['ok', 'error', 'timeout', 'output_limit', 'memory', 'crash'];

export interface ExecResult {
  status: ExecStatus;
  /** Captured standard output (capped). */
  stdout: string;
  /** Error summary (last traceback line(s) of the snippet's own frames), or null when status is ok. */
  error: string | null;
  /** Wall time of the execution in milliseconds. */
  ms: number;
  /**
   * The traceback filtered to the snippet's own frames (`File "<code>", line N`), when the program
   * raised. Optional: not every executor provides it.
   */
  traceback?: string | null;
  /** True when the result came from the result cache (or an identical run already in flight). */
  cached?: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
}

/** Runs untrusted Python and reports what happened. Implementations must never let the code escape. */
export interface Executor {
  run(code: string, opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}
