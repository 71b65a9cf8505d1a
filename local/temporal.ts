// The Temporal dev server (`temporal server start-dev`) of the embedded default and the
// test harness: a real Temporal server with its Web UI, SQLite in memory or in a file.
import { join } from 'node:path';
import { requireBinary } from '../tools/paths.js';
import { searchAttributes } from '../common/search-attributes.js';
import { freePort, startService, waitForPort, type Service } from './process.js';

export interface TemporalDevServer extends Service {
  /** host:port of the frontend gRPC service */
  readonly address: string;
  readonly uiUrl?: string;
  readonly namespace: string;
}

export interface TemporalDevServerOptions {
  stateDir: string;
  port?: number;
  /** Web UI port; none when headless */
  uiPort?: number;
  headless?: boolean;
  /**
   * SQLite file that keeps workflows across restarts; in memory when absent. A file keeps
   * closed histories out of the server's memory (at N=1,000 Kustomizations the server
   * grew to 440 MiB in memory); WAL journaling keeps the writes cheap.
   */
  dbFile?: string;
  namespace?: string;
  startTimeoutMs?: number;
}

const searchAttributeType: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', BOOL: 'Bool', INT: 'Int', DATETIME: 'Datetime', DOUBLE: 'Double' };

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const temporal = requireBinary('temporal');
  const port = options.port ?? (await freePort());
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--log-level', 'warn'];
  let uiUrl: string | undefined;
  if (options.headless) {
    args.push('--headless');
  } else {
    const uiPort = options.uiPort ?? (await freePort());
    args.push('--ui-ip', '127.0.0.1', '--ui-port', String(uiPort));
    uiUrl = `http://127.0.0.1:${uiPort}`;
  }
  if (options.dbFile) args.push('--db-filename', options.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  for (const key of searchAttributes) {
    args.push('--search-attribute', `${key.name}=${searchAttributeType[key.type] ?? 'Keyword'}`);
  }
  const service = startService('temporal dev server', temporal, args, {
    logFile: join(options.stateDir, 'temporal.log'),
    // Go's collector at half its default target: at N=100 the server's peak fell from
    // 243–260 to 210–224 MiB for about 10% more of its CPU (docs/development.md, Benchmark).
    env: { ...process.env, GOGC: process.env.GOGC ?? '50' },
  });
  try {
    await waitForPort(service, port, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { ...service, address: `127.0.0.1:${port}`, uiUrl, namespace };
}
