// Bundles the workflow code once, ahead of time, into one file: worker processes that
// load it start faster than ones that bundle at start-up (Temporal's advice for
// production), and the test harness bundles once per run this way.
// Usage: node dist/workers/bundle-workflows.js <output file> (`npm run build` runs it), or
// tsx workers/bundle-workflows.ts <output file>.
import { writeFileSync } from 'node:fs';
import { jsonLogger } from './logging.js';
import { bundleWorkflows } from './pools.js';

const output = process.argv[2];
if (!output) {
  process.stderr.write('usage: bundle-workflows <output file>\n');
  process.exit(2);
}
const bundle = await bundleWorkflows(jsonLogger('WARN'));
writeFileSync(output, bundle.code);
