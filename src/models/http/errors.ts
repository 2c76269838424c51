/** An HTTP backend failed in a way the user must act on (unreachable, wrong model, bad request, gave up). */
export class BackendError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

/**
 * The message of an error body from an OpenAI-compatible server. vLLM answers
 * `{"object":"error","message","type","param","code"}` (before 0.10) or OpenAI's
 * `{"error":{"message","type","param","code"}}`; llama.cpp and Ollama use the latter too.
 */
export function errorMessage(body: unknown, raw: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const inner = b.error;
    if (inner && typeof inner === 'object' && typeof (inner as Record<string, unknown>).message === 'string') return (inner as { message: string }).message;
    if (typeof inner === 'string') return inner;
    if (typeof b.message === 'string') return b.message;
    if (typeof b.detail === 'string') return b.detail;
  }
  const s = raw.trim().replace(/\s+/g, ' ');
  return s.length > 300 ? s.slice(0, 300) + '…' : s || '(empty body)';
}

/** The cause of a fetch() failure, e.g. "connection refused". */
export function networkCause(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timed out';
  const code = err?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (code === 'ENOTFOUND') return 'host not found';
  if (code) return `${code}${err.cause?.message ? ': ' + err.cause.message : ''}`;
  return err?.cause?.message ?? err?.message ?? String(e);
}
