// Artifacts: reproducible tar.gz files with digests, served over HTTP, refused when the
// bytes do not match the digest, unpacked once per worker.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ignore from 'ignore';
import { ArtifactStore } from '../../artifacts/store.js';
import { startArtifactServer, type ArtifactServer } from '../../artifacts/server.js';
import { ArtifactError, fetchArtifact } from '../../artifacts/fetch.js';
import { createArtifactCache } from '../../artifacts/cache.js';
import { fileTree } from '../harness/files.js';

const owner = { kind: 'GitRepository', namespace: 'flux-system', name: 'podinfo' };

const sourceTree = (files: Record<string, string>) => fileTree(files, 'source-');

describe('artifact store', () => {
  let root: string;
  let server: ArtifactServer;
  let store: ArtifactStore;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'artifacts-'));
    server = await startArtifactServer(root);
    store = new ArtifactStore(root, server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  it('packs a source, serves it, and unpacks it elsewhere after checking the digest', async () => {
    const source = sourceTree({ 'apps/deploy.yaml': 'kind: Deployment\n', 'README.md': 'hello\n', '.git/HEAD': 'ref\n' });
    const artifact = await store.archive(source, owner, 'main@sha1:abc', ignore().add(['.git/']));
    expect(artifact.path).toMatch(/^gitrepository\/flux-system\/podinfo\/[0-9a-f]{64}\.tar\.gz$/);
    expect(artifact.url).toBe(`${server.url}/${artifact.path}`);
    expect(artifact.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(artifact.revision).toBe('main@sha1:abc');

    const destination = join(mkdtempSync(join(tmpdir(), 'fetched-')), 'source');
    await fetchArtifact(artifact.url, artifact.digest, destination);
    expect(readFileSync(join(destination, 'apps/deploy.yaml'), 'utf8')).toBe('kind: Deployment\n');
    expect(existsSync(join(destination, '.git'))).toBe(false);
  });

  it('leaves symlinks out of the artifact, so no link can point a build outside its source', async () => {
    const source = sourceTree({ 'apps/deploy.yaml': 'kind: Deployment\n' });
    symlinkSync('/etc/hostname', join(source, 'apps/hostname.yaml'));
    symlinkSync('/etc', join(source, 'etc'));
    const artifact = await store.archive(source, { ...owner, name: 'links' }, 'r1', ignore());
    const destination = join(mkdtempSync(join(tmpdir(), 'fetched-')), 'source');
    await fetchArtifact(artifact.url, artifact.digest, destination);
    expect(readdirSync(join(destination, 'apps'))).toEqual(['deploy.yaml']);
    expect(existsSync(join(destination, 'etc'))).toBe(false);
  });

  it('gives the same digest to the same content, whatever the file times', async () => {
    const a = sourceTree({ 'x.yaml': 'a: 1\n', 'y/z.yaml': 'b: 2\n' });
    const b = sourceTree({ 'y/z.yaml': 'b: 2\n', 'x.yaml': 'a: 1\n' });
    utimesSync(join(b, 'x.yaml'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    const first = await store.archive(a, { ...owner, name: 'same' }, 'r1', ignore());
    const second = await store.archive(b, { ...owner, name: 'same' }, 'r1', ignore());
    expect(second.digest).toBe(first.digest);
  });

  it('refuses an artifact whose digest does not match', async () => {
    const artifact = await store.archive(sourceTree({ 'a.yaml': 'a\n' }), owner, 'r', ignore());
    const wrong = `sha256:${'0'.repeat(64)}`;
    const destination = join(mkdtempSync(join(tmpdir(), 'fetched-')), 'source');
    await expect(fetchArtifact(artifact.url, wrong, destination)).rejects.toThrow(ArtifactError);
    await expect(fetchArtifact(artifact.url, wrong, destination)).rejects.toThrow(/expected sha256:0{64}/);
  });

  it('serves nothing outside the store and only artifacts', async () => {
    writeFileSync(join(root, 'secret.txt'), 'no');
    expect((await fetch(`${server.url}/secret.txt`)).status).toBe(404);
    expect((await fetch(`${server.url}/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${server.url}/%2e%2e/%2e%2e/etc/hostname.tar.gz`)).status).toBe(404);
    expect((await fetch(`${server.url}/x.tar.gz`, { method: 'DELETE' })).status).toBe(405);
  });

  it('keeps the current and the previous artifact when collecting garbage', async () => {
    const gc = { ...owner, name: 'gc' };
    const artifacts = [];
    for (const content of ['1', '2', '3', '4']) {
      artifacts.push(await store.archive(sourceTree({ 'f.yaml': content }), gc, content, ignore()));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const current = artifacts[3]!;
    const removed = await store.garbageCollect(gc, current);
    expect(removed.sort()).toEqual([artifacts[0]!.path, artifacts[1]!.path].sort());
    const left = readdirSync(join(root, store.ownerDir(gc))).sort();
    expect(left).toEqual([artifacts[2]!.path, current.path].map((p) => p.split('/').pop()).sort());
    expect(await store.has(current)).toBe(true);
    expect(await store.has(artifacts[0]!)).toBe(false);
  });

  it('unpacks an artifact once per worker and gives each build a private copy', async () => {
    const source = sourceTree({ 'apps/deploy.yaml': 'kind: Deployment\n' });
    const artifact = await store.archive(source, owner, 'main@sha1:def', ignore());
    const cacheDir = mkdtempSync(join(tmpdir(), 'cache-'));
    const cache = createArtifactCache({ dir: cacheDir });
    const [first, second] = [join(mkdtempSync(join(tmpdir(), 'build-')), 'source'), join(mkdtempSync(join(tmpdir(), 'build-')), 'source')];
    await Promise.all([cache.checkout(artifact.url, artifact.digest, first), cache.checkout(artifact.url, artifact.digest, second)]);
    expect(readdirSync(cacheDir)).toHaveLength(1);
    // The same file on disk (a hard link), not a second unpacking.
    expect(statSync(join(first, 'apps/deploy.yaml')).ino).toBe(statSync(join(second, 'apps/deploy.yaml')).ino);
    // A build adding files (a generated kustomization.yaml) leaves the other copies alone.
    await writeFile(join(first, 'apps/kustomization.yaml'), 'resources: [deploy.yaml]\n');
    expect(existsSync(join(second, 'apps/kustomization.yaml'))).toBe(false);
  });

  it('does not remember a failed download', async () => {
    const source = sourceTree({ 'a.yaml': 'kind: ConfigMap\n' });
    const artifact = await store.archive(source, owner, 'main@sha1:fed', ignore());
    const cache = createArtifactCache({ dir: mkdtempSync(join(tmpdir(), 'cache-')) });
    const destination = () => join(mkdtempSync(join(tmpdir(), 'build-')), 'source');
    await expect(cache.checkout(`${server.url}/missing.tar.gz`, artifact.digest, destination())).rejects.toThrow(ArtifactError);
    await expect(cache.checkout(artifact.url, artifact.digest, destination())).resolves.toBeUndefined();
  });
});
