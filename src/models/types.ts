/** One generation request: `n` sampled continuations of `prompt`. */
export interface GenerateRequest {
  prompt: string;
  n: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  /** Generation stops after any of these strings; the stop string is included in the text. */
  stop: string[];
  /** Seed for this request's sampling (deterministic results for the same seed). */
  seed?: number;
  /** Keep generating past the end-of-text token (benchmarks; vLLM's ignore_eos). */
  ignoreEos?: boolean;
  /**
   * Aborted when nobody wants the result any more (an HTTP client went away): a backend that
   * supports it drops the request's rows, and the call rejects with an AbortError once every
   * request in it was aborted (its other requests still complete).
   */
  signal?: AbortSignal;
}

export interface Completion {
  text: string;
  /** Tokens generated for this completion. */
  tokens: number;
  finishReason: 'stop' | 'length';
}

/** The policy model: proposes continuations. Backends: embedded ONNX, OpenAI-compatible HTTP. */
export interface Policy {
  readonly name: string;
  /**
   * True when concurrent generate() calls are decoded together (a call's rows join the running
   * batch), so a caller may send calls without waiting for the one in flight.
   */
  readonly continuousBatching?: boolean;
  /** One result array (length n) per request; implementations batch all requests together. */
  generate(requests: GenerateRequest[]): Promise<Completion[][]>;
  close(): Promise<void>;
}

/** A process reward model: scores partial or complete trajectories (prompt + steps so far), in [-1, 1]. */
export interface RewardModel {
  readonly name: string;
  score(texts: string[]): Promise<number[]>;
  close(): Promise<void>;
}
