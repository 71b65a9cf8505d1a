// Files the product ships beside its code (CRD schemas, examples, tool versions, the
// state folder of the embedded default), found from the package's root, whether a module
// runs from its TypeScript source or compiled under dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

export function projectFile(...segments: string[]): string {
  return join(projectRoot, ...segments);
}
