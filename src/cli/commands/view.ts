import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { ViewSource } from '../../view/source.js';
import { serveUntilSignal, startViewServer } from '../../view/server.js';
import { staticPage } from '../../view/page.js';
import { atomicWrite } from '../../util/files.js';
import { UserError } from '../errors.js';
import { intOption } from '../options.js';

export interface ViewOutputOptions {
  host: string;
  port: number;
  static?: string;
  json?: boolean;
}

/** Adds the flags shared by `rstar view` and `rstar solve --view`. */
export function addViewServerOptions(cmd: Command): Command {
  return cmd
    .option('--host <addr>', 'address the viewer listens on', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', intOption('--port', 0, 65535), 0);
}

/**
 * Writes the static page (`--static FILE`) or serves the viewer until SIGINT/SIGTERM, printing its
 * URL (a JSON line with --json). Never opens a browser.
 */
export async function showView(source: ViewSource, o: ViewOutputOptions, extra: Record<string, unknown> = {}): Promise<void> {
  const kind = source.catalogue().views[0].kind;
  if (o.static !== undefined) {
    let html: string;
    try {
      html = staticPage(source.everything());
      atomicWrite(o.static, html);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    if (o.json) process.stdout.write(JSON.stringify({ ...extra, event: 'written', file: o.static, kind, bytes: statSync(o.static).size }) + '\n');
    else process.stderr.write(`rstar view: wrote ${o.static} (${kind}; open it in a browser, it needs no network)\n`);
    return;
  }
  let server;
  try {
    server = await startViewServer(source, { host: o.host, port: o.port, log: (l) => process.stderr.write(`rstar view: ${l}\n`) });
  } catch (e) {
    throw new UserError(`cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`);
  }
  if (o.json) process.stdout.write(JSON.stringify({ ...extra, event: 'listening', url: server.url, kind, pid: process.pid }) + '\n');
  process.stderr.write(`rstar view: ${kind} ${source.title} at ${server.url} (Ctrl-C to stop)\n`);
  await serveUntilSignal(server);
}

export function registerView(program: Command): void {
  const cmd = program
    .command('view')
    .description(
      'look at a search tree, a synthesis or evolve run, or eval results in the browser: starts a local web app on 127.0.0.1 and prints its URL ' +
        '(or --static writes one self-contained HTML file)',
    )
    .argument('<target>', 'a tree JSON file (--save-trees), a directory of them, eval results (.jsonl), or a synthesis/sampling or evolve run directory');
  addViewServerOptions(cmd)
    .option('--static <file>', 'write one self-contained HTML file (data inlined, works offline) instead of serving')
    .option('--json', 'print the URL (or the written file) as a JSON line')
    .action(async (target: string, o: ViewOutputOptions) => {
      let source: ViewSource;
      try {
        source = ViewSource.open(target);
        source.view('v0');
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      await showView(source, o);
    });
}
