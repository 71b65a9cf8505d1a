// `npm run dev`: the embedded default. A Temporal dev server with its Web UI, a local
// kwok cluster with fake nodes and the Flux CRDs installed, and all six worker pools in
// this one process, with the watcher that starts each object's reconcile loop.
// Ctrl-C stops the pools, then the cluster and the server.
import { parseArgs } from 'node:util';
import { embeddedFlags, embeddedOptions, exitWhenDone, runEmbedded } from './embedded.js';

const { values } = parseArgs({ args: process.argv.slice(2), options: embeddedFlags });

exitWhenDone(
  'dev',
  runEmbedded(embeddedOptions(values, 'dev'), async ({ summary }) => {
    process.stderr.write(['', ...summary, 'Press Ctrl-C to stop.', ''].join('\n'));
  }),
);
