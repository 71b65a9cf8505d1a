// The artifact store: a folder of tar.gz artifacts, one sub-folder per source object,
// served over HTTP (server.ts) so that workers on other machines can fetch them by URL.
import { copyFile, lstat, mkdir, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Ignore } from 'ignore';
import { listFiles, sha256File, writeArchive } from './archive.js';

/** status.artifact, in Flux's shape. */
export interface Artifact {
  path: string;
  url: string;
  revision: string;
  /** `sha256:<hex>` of the tar.gz */
  digest: string;
  size: number;
  lastUpdateTime: string;
}

export interface ArtifactOwner {
  kind: string;
  namespace: string;
  name: string;
}

export class ArtifactStore {
  constructor(
    /** folder that holds every artifact */
    readonly root: string,
    /** base URL under which server.ts serves `root`, e.g. http://source-controller:9090 */
    readonly baseUrl: string,
  ) {}

  ownerDir(owner: ArtifactOwner): string {
    return `${owner.kind.toLowerCase()}/${owner.namespace}/${owner.name}`;
  }

  url(path: string): string {
    return `${this.baseUrl.replace(/\/$/, '')}/${path}`;
  }

  /** Packs the files of `sourceDir` that `ignore` keeps into a new artifact for `owner`. */
  async archive(sourceDir: string, owner: ArtifactOwner, revision: string, ignore: Ignore): Promise<Artifact> {
    const dir = this.ownerDir(owner);
    await mkdir(join(this.root, dir), { recursive: true });
    const temporary = join(this.root, dir, `.partial-${randomBytes(6).toString('hex')}.tar.gz`);
    try {
      await writeArchive(sourceDir, await listFiles(sourceDir, ignore), temporary);
      const hex = await sha256File(temporary);
      const path = `${dir}/${hex}.tar.gz`;
      // Same content, same name: an unchanged source does not grow the store.
      await rename(temporary, join(this.root, path));
      const { size, mtime } = await stat(join(this.root, path));
      return { path, url: this.url(path), revision, digest: `sha256:${hex}`, size, lastUpdateTime: mtime.toISOString() };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /**
   * Stores `content` as the artifact file `fileName` of `owner` (written aside, then
   * renamed, so a reader never sees half of it); its digest is of `content`.
   */
  put(owner: ArtifactOwner, fileName: string, content: Buffer | string, revision: string): Promise<Artifact> {
    return this.place(owner, fileName, revision, (temporary) => writeFile(temporary, content));
  }

  /** Stores the file at `sourcePath` (a pulled layer, too big for memory) as the artifact file `fileName` of `owner`, as put does. */
  copyIn(owner: ArtifactOwner, fileName: string, sourcePath: string, revision: string): Promise<Artifact> {
    return this.place(owner, fileName, revision, (temporary) => copyFile(sourcePath, temporary));
  }

  private async place(owner: ArtifactOwner, fileName: string, revision: string, write: (temporary: string) => Promise<void>): Promise<Artifact> {
    const dir = this.ownerDir(owner);
    await mkdir(join(this.root, dir), { recursive: true });
    const temporary = join(this.root, dir, `.partial-${randomBytes(6).toString('hex')}`);
    try {
      await write(temporary);
      const hex = await sha256File(temporary);
      const path = `${dir}/${fileName}`;
      await rename(temporary, join(this.root, path));
      const { size, mtime } = await stat(join(this.root, path));
      return { path, url: this.url(path), revision, digest: `sha256:${hex}`, size, lastUpdateTime: mtime.toISOString() };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /** Points the stable name `linkName` of the artifact's folder at it (Flux's `index.yaml`), and returns that name's URL. */
  async link(artifact: Artifact, linkName: string): Promise<string> {
    const dir = artifact.path.split('/').slice(0, -1).join('/');
    const temporary = join(this.root, dir, `.partial-${randomBytes(6).toString('hex')}`);
    await symlink(artifact.path.split('/').pop()!, temporary);
    await rename(temporary, join(this.root, dir, linkName));
    return this.url(`${dir}/${linkName}`);
  }

  /** Whether the artifact's file is still in the store with its recorded size. */
  async has(artifact: Pick<Artifact, 'path' | 'size'>): Promise<boolean> {
    try {
      return (await stat(join(this.root, artifact.path))).size === artifact.size;
    } catch {
      return false;
    }
  }

  /**
   * Deletes an owner's artifacts except the current one and the `retain - 1` newest
   * others, so a dependent still fetching the previous revision finds it.
   */
  async garbageCollect(owner: ArtifactOwner, current: Artifact, retain = 2): Promise<string[]> {
    const dir = join(this.root, this.ownerDir(owner));
    const files = await readdir(dir).catch(() => [] as string[]);
    const currentName = current.path.split('/').pop();
    // Artifact files only: not the current one, a stable link to it, or one being written.
    const dated = (
      await Promise.all(
        files
          .filter((name) => name !== currentName && !name.startsWith('.partial-'))
          .map(async (name) => {
            const info = await lstat(join(dir, name)).catch(() => undefined);
            return info?.isFile() ? [{ name, mtime: info.mtimeMs }] : [];
          }),
      )
    ).flat();
    const stale = dated.sort((a, b) => b.mtime - a.mtime).slice(Math.max(0, retain - 1));
    await Promise.all(stale.map(({ name }) => rm(join(dir, name), { force: true })));
    return stale.map(({ name }) => `${this.ownerDir(owner)}/${name}`);
  }

  /** Removes every artifact of an owner (the object was deleted). */
  async removeAll(owner: ArtifactOwner): Promise<void> {
    await rm(join(this.root, this.ownerDir(owner)), { recursive: true, force: true });
  }
}
