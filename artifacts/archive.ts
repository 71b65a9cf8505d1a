// Packing a source into a tar.gz artifact, reproducibly: files in a fixed order, with
// fixed times and no owners, so the same content always yields the same digest.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { create as createTar } from 'tar';
import type { Ignore } from 'ignore';

const regularEntryTypes: ReadonlySet<string> = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

/**
 * A tar `filter` that unpacks regular files and folders only, as Flux's untar and Helm's
 * archive loader read archives: a link could point outside the folder unpacked into.
 */
export function regularEntriesOnly(_path: string, entry: object): boolean {
  return 'type' in entry && typeof entry.type === 'string' && regularEntryTypes.has(entry.type);
}

/**
 * Every regular file under `root` that `ignore` keeps, as sorted forward-slash paths.
 * Symlinks are left out, as Flux's source-controller leaves them out of its archives: a
 * link could point a build at a file outside the source.
 */
export async function listFiles(root: string, ignore: Ignore): Promise<string[]> {
  const files: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(root, path).split(sep).join('/');
      if (entry.isDirectory()) {
        if (!ignore.ignores(`${rel}/`)) await walk(path);
      } else if (entry.isFile() && !ignore.ignores(rel)) {
        files.push(rel);
      }
    }
  }
  await walk(root);
  return files.sort();
}

export async function writeArchive(root: string, files: string[], destination: string): Promise<void> {
  await createTar({ gzip: { level: 6 }, cwd: root, file: destination, portable: true, mtime: new Date(0), noDirRecurse: true }, files);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
