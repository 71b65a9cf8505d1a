// A Helm repository's index as Flux reads it: where it is, how it loads, what its
// revision is, how the Secrets that reach it are read, and how its events print sizes.
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { helmClientOptions } from '../../domain/helm-repository-auth.js';
import { humanSizeOf, nextHelmRepositoryStatus } from '../../domain/helmrepository-status.js';
import { indexRevision, indexUrl, IndexError, loadIndex } from '../../helm/repository-index.js';

describe('Helm repository index', () => {
  it('is index.yaml under the URL, the query kept', () => {
    expect(indexUrl('https://charts.example.com')).toBe('https://charts.example.com/index.yaml');
    expect(indexUrl('https://charts.example.com/stable/')).toBe('https://charts.example.com/stable/index.yaml');
    expect(indexUrl('https://charts.example.com/stable?token=x')).toBe('https://charts.example.com/stable/index.yaml?token=x');
  });

  it('has the digest of the bytes served as its revision', () => {
    const bytes = Buffer.from('apiVersion: v1\nentries: {}\n');
    expect(indexRevision(bytes)).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  });

  it('loads with each chart newest first, drops versions Helm would not validate, and defaults their apiVersion', () => {
    const index = loadIndex(
      Buffer.from(
        [
          'apiVersion: v1',
          'entries:',
          '  app:',
          '  - {name: app, version: 1.9.0, apiVersion: v2}',
          '  - {name: app, version: 1.10.0}',
          '  - {name: app, version: not-a-version}',
          '  - {version: 2.0.0}',
          '  - {name: app, version: 1.10.0-rc.1}',
        ].join('\n'),
      ),
    );
    expect(index.entries.app!.map((entry) => [entry.version, entry.apiVersion])).toEqual([
      ['1.10.0', 'v1'],
      ['1.10.0-rc.1', 'v1'],
      ['1.9.0', 'v2'],
    ]);
  });

  it("refuses an empty index or one without apiVersion in Flux's words", () => {
    expect(() => loadIndex(Buffer.from('  \n'))).toThrow(new IndexError('failed to load Helm repository from index YAML: failed to load index: empty index.yaml file', 'load'));
    expect(() => loadIndex(Buffer.from('entries: {}\n'))).toThrow('failed to load Helm repository from index YAML: failed to load index: no API version specified');
  });

  it('reads basic auth from secretRef and TLS from certSecretRef, the deprecated keys of secretRef only without it', () => {
    expect(helmClientOptions({ name: 'ns/auth', data: { username: 'u', password: 'p', caFile: 'legacy' } }, undefined)).toEqual({ ok: true, options: { basicAuth: { username: 'u', password: 'p' }, tls: { ca: 'legacy' } } });
    expect(helmClientOptions({ name: 'ns/auth', data: { username: 'u', password: 'p', caFile: 'legacy' } }, { name: 'ns/tls', data: { 'ca.crt': 'ca' } })).toEqual({
      ok: true,
      options: { basicAuth: { username: 'u', password: 'p' }, tls: { ca: 'ca' } },
    });
    expect(helmClientOptions({ name: 'ns/auth', data: { username: 'u' } }, undefined)).toEqual({
      ok: false,
      message: "failed to detect authentication methods: secret 'ns/auth': malformed basic auth - has 'username' but missing 'password'",
    });
    expect(helmClientOptions(undefined, { name: 'ns/tls', data: {} })).toEqual({
      ok: false,
      message: "failed to construct Helm client's TLS config: secret 'ns/tls' must contain either 'ca.crt' or both 'tls.crt' and 'tls.key'",
    });
    expect(helmClientOptions(undefined, { name: 'ns/tls', data: { 'tls.key': 'k' } })).toMatchObject({ ok: false, message: expect.stringContaining("contains 'tls.key' but missing 'tls.crt'") });
  });

  it('prints sizes as docker/go-units HumanSize does (base 1000, four significant digits)', () => {
    expect([512, 1000, 30_000, 40_898, 1_234_567].map(humanSizeOf)).toEqual(['512B', '1kB', '30kB', '40.9kB', '1.235MB']);
  });

  it('announces a new index once, and a recovery with the same words', () => {
    const artifact = { path: 'p', url: 'u', revision: 'sha256:1', digest: 'sha256:2', size: 30_000, lastUpdateTime: 't' };
    const context = { now: '2026-01-01T00:00:00Z', generation: 1 };
    const stored = nextHelmRepositoryStatus({}, { outcome: 'stored', artifact, url: 'u/index.yaml', fetchedFrom: 'https://charts' }, context);
    expect(stored.event).toMatchObject({ type: 'Normal', reason: 'NewArtifact', message: "stored fetched index of size 30kB from 'https://charts'" });
    const failed = nextHelmRepositoryStatus(stored.status, { outcome: 'failed', reason: 'Failed', message: 'down', stalled: false }, context);
    expect(failed.status.artifact).toEqual(artifact);
    const recovered = nextHelmRepositoryStatus(failed.status, { outcome: 'unchanged', artifact, fetchedFrom: 'https://charts' }, context);
    expect(recovered.event).toMatchObject({ reason: 'Succeeded', message: "stored fetched index of size 30kB from 'https://charts'" });
    expect(recovered.status.url).toBe('u/index.yaml');
  });
});
