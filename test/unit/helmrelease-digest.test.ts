// The digests a HelmRelease's status records match the ones Flux writes, so status left by
// Flux reads as in sync. Expected digests are Flux's own test vectors
// (fluxcd/pkg chartutil/digest_test.go, helm-controller internal/release/digest_test.go) or
// were computed by Flux's code run in Go: chartutil DigestValues, and ObserveRelease + Digest
// (internal/release/observation.go, digest.go) with Helm v3.21.4's release and chart types.
import { describe, expect, it } from '@jest/globals';
import { configDigest, releaseDigest, snapshotOf, testHooksOf, type StoredRelease } from '../../domain/helmrelease-digest.js';
import { composeValues } from '../../domain/helmrelease-values.js';

const empty = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('config digest', () => {
  it('is the digest of nothing for no values', () => {
    expect(configDigest({})).toBe(empty);
    expect(configDigest(null)).toBe(empty);
    expect(configDigest(undefined)).toBe(empty);
  });

  it('does not depend on the order of keys', () => {
    const digest = 'sha256:fcdc2b0de1581a3633ada4afee3f918f6eaa5b5ab38c3fef03d5b48d3f85d9f6';
    expect(
      configDigest({
        replicas: 3,
        image: { tag: 'latest', repository: 'nginx' },
        ports: [
          { protocol: 'TCP', port: 8080 },
          { port: 9090, protocol: 'UDP' },
        ],
      }),
    ).toBe(digest);
    expect(
      configDigest({
        image: { repository: 'nginx', tag: 'latest' },
        ports: [
          { port: 8080, protocol: 'TCP' },
          { port: 9090, protocol: 'UDP' },
        ],
        replicas: 3,
      }),
    ).toBe(digest);
  });

  it('keeps keys that look like numbers as they are', () => {
    const test = { '632bd80235a05f4192aefade': 'value1', '632bd80ddf416cf32fd50679': 'value2', '632bd817c559818a52307da2': 'value3', '632bd82398e71231a98004b6': 'value4' };
    expect(configDigest({ replicas: 3, test })).toBe('sha256:8a980fcbeadd6f05818f07e8aec14070c22250ca3d96af1fcd5f93b3e85b4d70');
  });

  it('matches Flux for composed values', () => {
    const values = composeValues(
      'ns',
      {
        values: { other: 'values' },
        valuesFrom: [
          { kind: 'ConfigMap', name: 'values' },
          { kind: 'Secret', name: 'values' },
        ],
      },
      (kind) => (kind === 'ConfigMap' ? { 'values.yaml': 'flat: value\nnested:\n  configuration: value\n' } : { 'values.yaml': 'flat:\n  nested: value\nnested: value\n' }),
    );
    expect(configDigest(values)).toBe('sha256:c6c236111969b18282da9d8f5141ac41760a5c0e38c38bb05e2bc4c7034893af');
  });
});

// A release as Helm stores it, with what the digest has to get right: times with nanoseconds
// and an offset, characters encoding/json escapes, map keys that sort as bytes, a test hook.
const release: StoredRelease = {
  name: 'podinfo',
  namespace: 'apps',
  version: 3,
  info: {
    first_deployed: '2024-05-01T10:00:00.123456789Z',
    last_deployed: '2024-05-02T11:30:00.5+02:00',
    deleted: '',
    description: 'Upgrade complete',
    status: 'deployed',
    notes: 'Visit <http://podinfo> & enjoy',
  },
  chart: {
    metadata: {
      name: 'podinfo',
      home: 'https://github.com/stefanprodan/podinfo',
      sources: ['https://github.com/stefanprodan/podinfo'],
      version: '6.5.4',
      description: 'Podinfo Helm chart for Kubernetes',
      keywords: [],
      maintainers: [{ name: 'stefanprodan', email: 'stefanprodan@users.noreply.github.com' }],
      apiVersion: 'v1',
      appVersion: '6.5.4',
      kubeVersion: '>=1.23.0-0',
      annotations: { 'z.io/b': '1', 'a.io/a': '2', '10': 'x', '9': 'y' },
      dependencies: [{ name: 'redis', version: '1.x', repository: 'https://charts.example', enabled: true, 'import-values': ['child', { child: 'a', parent: 'b' }] }],
      type: 'application',
    },
  },
  config: { replicaCount: 2, image: { tag: '6.5.4' }, list: [1, 2.5, 'x', null, true], '10': 'numeric key', big: 1e21, small: 1e-7, html: '<b>&</b>', uni: 'café 😀 \u2028' },
  manifest: '---\n# Source: podinfo/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\n  annotations:\n    x: "a<b"\n',
  hooks: [
    {
      name: 'podinfo-jwt-test',
      kind: 'Pod',
      path: 'podinfo/templates/tests/jwt.yaml',
      manifest: 'apiVersion: v1\nkind: Pod\n',
      events: ['test'],
      last_run: { started_at: '2024-05-02T11:31:00Z', completed_at: '2024-05-02T11:31:10Z', phase: 'Succeeded' },
      delete_policies: ['before-hook-creation'],
    },
    { name: 'podinfo-pre', kind: 'Job', path: 'podinfo/templates/pre.yaml', manifest: 'kind: Job\n', events: ['pre-install', 'pre-upgrade'], last_run: { started_at: '', completed_at: '', phase: '' }, weight: -5 },
    {
      name: 'podinfo-post',
      kind: 'Job',
      events: ['post-install'],
      last_run: { started_at: '2024-05-02T11:30:01.000001+02:00', completed_at: '2024-05-02T11:30:02Z', phase: 'Succeeded' },
      weight: 0,
      delete_policies: ['hook-succeeded'],
    },
  ],
};
const ociDigest = 'sha256:0cc9a8446c95ea2e1c0c6f7f3d5a3c3e1b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e';

describe('release digest', () => {
  it('matches Flux’s test vector for an empty release', () => {
    expect(releaseDigest({ name: 'foo', namespace: '', version: 0 })).toBe('sha256:91b6773f7696d3eb405708a07e2daedc6e69664dabac8e10af7d570d09f947d5');
  });

  it('matches Flux for a release Helm stored', () => {
    expect(releaseDigest(release)).toBe('sha256:0ba93612b7dce1bdc38be5c74e21121496bde918c8df0681e346dbe94fe7af86');
    expect(releaseDigest(release, ociDigest)).toBe('sha256:f10683ff3c82703f99c53010798361ab95038fb2c16ff7de54d38cb80fca058a');
  });

  it('leaves out test hooks, so running the tests changes nothing', () => {
    const tested = { ...release, hooks: release.hooks!.map((hook) => (hook.events?.includes('test') ? { ...hook, last_run: { ...hook.last_run, phase: 'Failed' } } : hook)) };
    expect(releaseDigest(tested)).toBe(releaseDigest(release));
    const onlyTests: StoredRelease = {
      name: 'x',
      namespace: 'ns',
      version: 1,
      info: { first_deployed: '2024-01-01T00:00:00Z', last_deployed: '2024-01-01T00:00:00Z', deleted: '', status: 'failed' },
      chart: { metadata: { name: 'x', version: '0.1.0' } },
      config: {},
      hooks: [{ name: 't', events: ['test'], last_run: { started_at: '', completed_at: '', phase: 'Failed' } }],
    };
    expect(releaseDigest(onlyTests)).toBe('sha256:210cea8b7486a3ca1d84f225738637f309fce53eb968cbb0d7b67cfd1484a0eb');
  });
});

describe('history snapshot', () => {
  it('records the release as status.history does, times in UTC to the second', () => {
    expect(snapshotOf(release, ociDigest)).toEqual({
      digest: 'sha256:f10683ff3c82703f99c53010798361ab95038fb2c16ff7de54d38cb80fca058a',
      name: 'podinfo',
      namespace: 'apps',
      version: 3,
      status: 'deployed',
      chartName: 'podinfo',
      chartVersion: '6.5.4',
      appVersion: '6.5.4',
      configDigest: 'sha256:41013e43bf4299098e3b3ba3fc6ae23c8554f3493d39aff8869decee844959bb',
      firstDeployed: '2024-05-01T10:00:00Z',
      lastDeployed: '2024-05-02T09:30:00Z',
      ociDigest,
    });
  });

  it('reads test results from the test hooks', () => {
    expect(testHooksOf(release)).toEqual({ 'podinfo-jwt-test': { lastStarted: '2024-05-02T11:31:00Z', lastCompleted: '2024-05-02T11:31:10Z', phase: 'Succeeded' } });
  });
});
