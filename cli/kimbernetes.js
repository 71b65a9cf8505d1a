#!/usr/bin/env node
// The `kimbernetes` executable: the CLI as `npm run build` bundled it (`npm run setup`
// builds it), so that it starts without transpiling TypeScript or resolving hundreds of
// library modules.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/kimbernetes-cli/main.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write("kimbernetes: the CLI is not built yet: run 'npm run build' (or 'npm run setup') first\n");
  process.exit(1);
}
const cli = await import(compiled.href);
await cli.run();
