/**
 * A long command's two-stage stop: the first Ctrl-C (or another of `signals`) aborts `signal` so the
 * work in flight finishes and is recorded, and writes `stopping`; a second one writes `leaving`, if
 * given, and exits at once with 130. `dispose()` removes the handlers.
 */
export function gracefulStop(opts: { stopping: string; leaving?: string; signals?: NodeJS.Signals[] }): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const signals = opts.signals ?? ['SIGINT'];
  const onSignal = () => {
    if (abort.signal.aborted) {
      if (opts.leaving !== undefined) process.stderr.write(opts.leaving);
      process.exit(130);
    }
    abort.abort();
    process.stderr.write(opts.stopping);
  };
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: abort.signal,
    dispose: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
