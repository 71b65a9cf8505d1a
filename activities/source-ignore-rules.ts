// The ignore rules a source's artifact is packed with, read from its content: every
// .sourceignore file, each scoped to its folder, then spec.ignore (domain/source-ignore.ts
// holds Flux's rules themselves). GitRepository and OCIRepository share them, as Flux's do.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ignore from 'ignore';
import { listFiles } from '../artifacts/archive.js';
import { sourceIgnore } from '../domain/source-ignore.js';

/** Flux's rules: .sourceignore files anywhere in the checkout, then spec.ignore. */
export async function ignoreRules(root: string, specIgnore: string | undefined) {
  const files = await listFiles(root, ignore().add(['.git/']));
  const sourceIgnores = await Promise.all(
    files
      .filter((path) => path === '.sourceignore' || path.endsWith('/.sourceignore'))
      .map(async (path) => ({ dir: path.split('/').slice(0, -1).join('/'), content: await readFile(join(root, path), 'utf8') })),
  );
  return sourceIgnore(sourceIgnores, specIgnore);
}
