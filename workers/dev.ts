// `npm run dev`: the embedded default. A Temporal dev server with its Web UI, a local
// kwok cluster with fake nodes and the Flux CRDs installed, and all six worker pools in
// this one process, with the watcher that starts each object's reconcile loop.
// Ctrl-C stops the pools, then the cluster and the server.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runEmbedded } from './embedded.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    'temporal-port': { type: 'string', default: '7233' },
    'ui-port': { type: 'string', default: '8233' },
    nodes: { type: 'string', default: '3' },
    'state-dir': { type: 'string' },
  },
});

const stateDir = values['state-dir'] ?? process.env.KIMBERNETES_STATE_DIR ?? fileURLToPath(new URL('../.kimbernetes/dev', import.meta.url));

async function main(): Promise<void> {
  await runEmbedded(
    { stateDir, nodes: Number(values.nodes), temporalPort: Number(values['temporal-port']), uiPort: Number(values['ui-port']) },
    async ({ summary }) => {
      process.stderr.write(['', ...summary, 'Press Ctrl-C to stop.', ''].join('\n'));
    },
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`kimbernetes dev: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
