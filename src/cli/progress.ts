import cliProgress from 'cli-progress';
import type { TrainerEvent } from '../train/events.js';

export interface Progress {
  tick(fields?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal; otherwise one log line every few seconds, so CI
 * logs and piped runs still show that long work is moving.
 */
export function startProgress(label: string, total: number, quiet = false): Progress {
  if (quiet) return { tick() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} | {percentage}% | ETA {eta_formatted} | {info}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      tick(fields) {
        bar.increment(1, {
          info: fields
            ? Object.entries(fields)
                .map(([k, v]) => `${k} ${v}`)
                .join(' ')
            : '',
        });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let done = 0;
  let last = 0;
  const t0 = Date.now();
  return {
    tick(fields) {
      done++;
      const now = Date.now();
      if (now - last > 5000 || done === total) {
        last = now;
        const rate = done / Math.max(1e-3, (now - t0) / 1000);
        const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
        const info = fields
          ? ' ' +
            Object.entries(fields)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')
          : '';
        process.stderr.write(`${label}: ${done}/${total} (${rate.toFixed(2)}/s, eta ${eta}s)${info}\n`);
      }
    },
    stop() {},
  };
}

/** A trainer event as one `train <event>: k=v …` line (numbers to 5 significant digits, nested values left out). */
export function trainerEventLine(e: TrainerEvent): string {
  const { event, ...rest } = e as Record<string, unknown>;
  return `train ${event}: ${Object.entries(rest)
    .filter(([, v]) => typeof v !== 'object')
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(5)) : v}`)
    .join(' ')}`;
}
