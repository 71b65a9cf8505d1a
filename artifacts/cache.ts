// Unpacked artifacts, kept per worker. Unpacking a source of a few thousand files costs
// far more than building one Kustomization from it, and a fleet of Kustomizations shares
// a handful of sources: each artifact is downloaded, verified and unpacked once, and each
// build gets a private copy made of hard links (a build may add files: a generated
// kustomization.yaml; decryption replaces files rather than writing into them).
import { copyFile, link, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchArtifact } from './fetch.js';

export interface ArtifactCache {
  /** Downloads, verifies and unpacks the artifact unless it is here already; the unpacked tree, to read only. */
  prepare(url: string, digest: string): Promise<string>;
  /**
   * Places a private copy of the artifact at `destination` (a new folder). `subtree`,
   * given the unpacked artifact (read only), may name the one folder a caller needs: only
   * that folder is copied, at its place in the tree.
   */
  checkout(url: string, digest: string, destination: string, options?: { subtree?: (tree: string) => Promise<string | undefined> }): Promise<void>;
}

interface Entry {
  path: Promise<string>;
  users: number;
  lastUsed: number;
}

export function createArtifactCache(options: { dir?: string; maxEntries?: number } = {}): ArtifactCache {
  const maxEntries = options.maxEntries ?? 16;
  let dir: Promise<string> | undefined;
  const entries = new Map<string, Entry>();
  const cacheDir = () => (dir ??= options.dir ? mkdir(options.dir, { recursive: true }).then(() => options.dir!) : mkdtemp(join(tmpdir(), 'kimbernetes-artifacts-')));

  /** A folder of its own per unpacking, so an eviction never races a new unpacking of the same digest. */
  async function unpack(url: string, digest: string): Promise<string> {
    const folder = await mkdtemp(join(await cacheDir(), `${digest.replace(':', '-')}-`));
    try {
      await fetchArtifact(url, digest, join(folder, 'tree'));
      return folder;
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
  }

  /** Forgets the least recently used artifacts nobody is copying from. */
  async function evict(): Promise<void> {
    const idle = [...entries].filter(([, entry]) => entry.users === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    while (entries.size > maxEntries && idle.length > 0) {
      const [digest, entry] = idle.shift()!;
      entries.delete(digest);
      await entry.path.then((path) => rm(path, { recursive: true, force: true }), () => undefined);
    }
  }

  function entryOf(url: string, digest: string): Entry {
    let entry = entries.get(digest);
    if (!entry) {
      const created: Entry = { path: unpack(url, digest), users: 0, lastUsed: Date.now() };
      entries.set(digest, created);
      // A failed download is not remembered: the next checkout tries again.
      created.path.catch(() => entries.get(digest) === created && entries.delete(digest));
      entry = created;
    }
    return entry;
  }

  return {
    async prepare(url, digest) {
      const entry = entryOf(url, digest);
      entry.lastUsed = Date.now();
      return join(await entry.path, 'tree');
    },
    async checkout(url, digest, destination, options = {}) {
      const entry = entryOf(url, digest);
      entry.users += 1;
      entry.lastUsed = Date.now();
      try {
        const tree = join(await entry.path, 'tree');
        const subtree = await options.subtree?.(tree);
        if (subtree) {
          await mkdir(destination, { recursive: true });
          await linkTree(join(tree, subtree), join(destination, subtree));
        } else {
          await linkTree(tree, destination);
        }
      } finally {
        entry.users -= 1;
      }
      await evict();
    },
  };
}

/** `from`'s folders recreated at `to`, its files hard-linked (copied across file systems). */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const children = await readdir(from, { withFileTypes: true });
  await Promise.all(
    children.map(async (child) => {
      const [source, target] = [join(from, child.name), join(to, child.name)];
      if (child.isDirectory()) return linkTree(source, target);
      await link(source, target).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV') throw error;
        await copyFile(source, target);
      });
    }),
  );
}
