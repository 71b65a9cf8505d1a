// `npm run build`: the TypeScript sources compiled to JavaScript under dist/, one file per
// module, and the workflow code bundled once into dist/workflow-bundle.js. The CLI and the
// worker run from dist/ so that they start without transpiling at every start (the CLI
// answers in a fraction of a second; a worker skips webpack). Type checking is `npm run
// lint`'s job; this only strips types, so it takes a second or two.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
/** The folders whose modules the product runs; test/harness is there for the bench's git server. */
const sourceDirs = ['activities', 'apply', 'artifacts', 'bench', 'cli', 'common', 'demo', 'domain', 'git', 'helm', 'kube', 'kustomize', 'local', 'notification', 'oci', 'temporal', 'tools', 'workers', 'workflows', 'test/harness'];

function modulesIn(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return modulesIn(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

const started = Date.now();
rmSync(dist, { recursive: true, force: true });
// The worker image copies only the worker's folders (Dockerfile): build what is there.
const entryPoints = sourceDirs.filter((dir) => existsSync(join(root, dir))).flatMap((dir) => modulesIn(join(root, dir)));
await build({
  entryPoints,
  outdir: dist,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// The CLI bundled with the parts of its libraries it uses, split at its lazy imports: the
// Kubernetes client, one file per module, took 0.87 s to load, its bundled parts 0.3 s
// (docs/development.md, CLI start-up). The executable (cli/kimbernetes.js) runs this one.
const cliEntry = join(root, 'cli', 'main.ts');
if (existsSync(cliEntry)) await build({
  entryPoints: { main: cliEntry },
  outdir: join(dist, 'kimbernetes-cli'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // CommonJS libraries inside an ES module bundle still call require().
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
// Workflows bundled ahead of time, as Temporal advises for production.
execFileSync(process.execPath, [join(dist, 'workers', 'bundle-workflows.js'), join(dist, 'workflow-bundle.js')], { stdio: 'inherit' });
process.stderr.write(`built ${entryPoints.length} modules${existsSync(cliEntry) ? ', the CLI bundle' : ''} and the workflow bundle into ${relative(process.cwd(), dist) || '.'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
