// An OCIRepository as source-controller reconciles it (internal/controller/
// ocirepository_controller.go, with go-containerregistry): the URL's repository, the tag a
// semver range chooses, the revision, the layer, the status and its event; and the
// registry client as go-containerregistry reaches a registry (HTTPS first, then plain
// HTTP for a local one; a tag's digest from a HEAD; blobs checked against their digests;
// errors in transport.Error's words). Expected values are Flux's and go-containerregistry's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOfRevision, manifestAnnotations, manifestLayers, ociRevision, parseOciRepositoryUrl, selectLayer, selectSemverTag } from '../../domain/oci-artifact.js';
import { goErrorDetail, mayServePlainHttp } from '../../domain/oci-reference.js';
import { readOCIRepositorySpec } from '../../domain/ocirepository-spec.js';
import { nextOCIRepositoryStatus, ociContentChanged, type OCIRepositoryStatus } from '../../domain/ocirepository-status.js';
import { ociChartVersion } from '../../domain/helmrelease-oci-chart.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import { ociRegistryClient } from '../../oci/registry.js';

const digest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

describe('OCIRepository URL', () => {
  it('names a registry and a repository, Docker Hub when its first part is no host', () => {
    expect(parseOciRepositoryUrl('oci://ghcr.io/stefanprodan/manifests/podinfo')).toEqual({ host: 'ghcr.io', repository: 'stefanprodan/manifests/podinfo' });
    expect(parseOciRepositoryUrl('oci://127.0.0.1:5000/apps')).toEqual({ host: '127.0.0.1:5000', repository: 'apps' });
    expect(parseOciRepositoryUrl('oci://stefanprodan/podinfo')).toEqual({ host: 'index.docker.io', repository: 'stefanprodan/podinfo' });
    expect(parseOciRepositoryUrl('oci://podinfo')).toEqual({ host: 'index.docker.io', repository: 'library/podinfo' });
  });

  it("is refused in Flux's words: another scheme, a tag, characters a repository cannot hold", () => {
    expect(() => parseOciRepositoryUrl('https://ghcr.io/org/app')).toThrow("URL must be in format 'oci://<domain>/<org>/<repo>'");
    expect(() => parseOciRepositoryUrl('oci://ghcr.io/org/app:v1.0.0')).toThrow("URL must not contain a tag; remove ':v1.0.0'");
    expect(() => parseOciRepositoryUrl('oci://ghcr.io/Org/App')).toThrow('repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: Org/App');
    expect(() => parseOciRepositoryUrl('oci://flux:secret@ghcr.io/org/app')).toThrow('registries must be valid RFC 3986 URI authorities: flux:secret@ghcr.io');
  });
});

describe('OCIRepository tag by semver', () => {
  const tags = ['latest', '6.0.0', 'v6.1.0', '6.2.0-rc.1', '6.1.5', '7.0.0', 'sha256-abc.sig', '6.1'];

  it('is the newest tag the range admits, as tagged (a leading v allowed), prereleases only when asked for', () => {
    expect(selectSemverTag(tags, '6.x')).toBe('6.1.5');
    expect(selectSemverTag(tags, '>=6.0.0 <6.1.5')).toBe('v6.1.0');
    // Masterminds' rule (v3.4): a comparator that names a prerelease lets the whole group admit prereleases.
    expect(selectSemverTag(tags, '>=6.2.0-0 <7.0.0')).toBe('6.2.0-rc.1');
    // ...that group only: another's prerelease does not open the first to 6.2.0-rc.1.
    expect(() => selectSemverTag(tags, '>=6.2.0 <7.0.0 || >=8.0.0-0')).toThrow('no match found for semver: >=6.2.0 <7.0.0 || >=8.0.0-0');
    expect(selectSemverTag(tags, '*')).toBe('7.0.0');
  });

  it('is chosen among the tags semverFilter keeps, Go flag groups read as flags', () => {
    expect(selectSemverTag(['1.0.0', '1.1.0-dev.2', '1.1.0-dev.10', '1.2.0'], '>=1.0.0-0', '.*-dev\\..*')).toBe('1.1.0-dev.10');
    expect(selectSemverTag(['1.0.0-RC.1', '1.0.0-beta.1'], '>=1.0.0-0', '(?i)-rc')).toBe('1.0.0-RC.1');
  });

  it("fails in Flux's words when nothing matches or the range does not parse", () => {
    expect(() => selectSemverTag(tags, '>=8.0.0')).toThrow('no match found for semver: >=8.0.0');
    expect(() => selectSemverTag(tags, 'not a range')).toThrow("semver 'not a range' parse error: improper constraint: not a range");
  });
});

describe('OCIRepository revision and layer', () => {
  const manifestDigest = `sha256:${'d'.repeat(64)}`;
  const layerDigest = `sha256:${'a'.repeat(64)}`;
  const chartDigest = `sha256:${'c'.repeat(64)}`;
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    annotations: { 'org.opencontainers.image.source': 'https://github.com/org/fleet', 'org.opencontainers.image.revision': 'main@sha1:abc' },
    layers: [
      { mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', digest: layerDigest, size: 10 },
      { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: chartDigest, size: 20 },
    ],
  };

  it('is `<tag>@<digest>`, or the digest for a digest reference; the file is named after the digest', () => {
    expect(ociRevision('latest', manifestDigest)).toBe(`latest@${manifestDigest}`);
    expect(ociRevision(undefined, manifestDigest)).toBe(manifestDigest);
    expect(digestOfRevision(`6.1.5@${manifestDigest}`)).toBe(manifestDigest);
  });

  it('is the first layer, or the first of the media type the selector names', () => {
    const layers = manifestLayers(manifest, manifest.mediaType);
    expect(selectLayer(layers, undefined).digest).toBe(layerDigest);
    expect(selectLayer(layers, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip').digest).toBe(chartDigest);
    expect(() => selectLayer(layers, 'application/vnd.example.v1')).toThrow("failed to find layer with media type 'application/vnd.example.v1' in artifact");
    expect(() => selectLayer([], undefined)).toThrow('no layers found in artifact');
  });

  it("keeps the manifest's annotations as the artifact's metadata; an index is no artifact", () => {
    expect(manifestAnnotations(manifest)).toEqual(manifest.annotations);
    expect(manifestAnnotations({ layers: [] })).toBeUndefined();
    expect(() => manifestLayers({ manifests: [] }, 'application/vnd.oci.image.index.v1+json')).toThrow(/image index/);
  });
});

describe('OCIRepository spec', () => {
  const schema = specSchemaFor('source.toolkit.fluxcd.io/v1', 'OCIRepository')!;

  it("takes Flux's defaults: the latest tag, a 60s timeout, the first layer extracted", () => {
    const reading = readOCIRepositorySpec({ url: 'oci://ghcr.io/org/app', interval: '5m' }, schema);
    expect(reading).toEqual({ ok: true, spec: { url: 'oci://ghcr.io/org/app', reference: { tag: 'latest' }, intervalMs: 300_000, timeoutMs: 60_000, insecure: false, suspend: false } });
  });

  it('follows a digest before a semver range before a tag', () => {
    const read = (ref: Record<string, string>) => {
      const reading = readOCIRepositorySpec({ url: 'oci://ghcr.io/org/app', interval: '5m', ref }, schema);
      return reading.ok ? reading.spec.reference : reading;
    };
    expect(read({ tag: 'v1', semver: '1.x', digest: `sha256:${'e'.repeat(64)}` })).toEqual({ digest: `sha256:${'e'.repeat(64)}` });
    expect(read({ tag: 'v1', semver: '1.x', semverFilter: '^v' })).toEqual({ semver: '1.x', semverFilter: '^v' });
    expect(read({ tag: 'v1' })).toEqual({ tag: 'v1' });
  });

  it('refuses what it cannot honour yet by name: a cloud provider, signature verification', () => {
    expect(readOCIRepositorySpec({ url: 'oci://ghcr.io/org/app', interval: '5m', provider: 'aws' }, schema)).toMatchObject({ ok: false, field: 'provider', message: expect.stringContaining("spec.provider 'aws' is not supported yet") });
    expect(readOCIRepositorySpec({ url: 'oci://ghcr.io/org/app', interval: '5m', verify: { provider: 'cosign' } }, schema)).toMatchObject({ ok: false, field: 'verify' });
    expect(readOCIRepositorySpec({ url: 'https://ghcr.io/org/app', interval: '5m' }, schema)).toMatchObject({ ok: false, field: 'url' });
  });
});

describe('OCIRepository status', () => {
  const context = { now: '2026-12-03T10:00:00Z', generation: 2 };
  const artifact = {
    path: 'ocirepository/apps/podinfo/x.tar.gz',
    url: 'http://source-controller/ocirepository/apps/podinfo/x.tar.gz',
    revision: `6.1.5@sha256:${'d'.repeat(64)}`,
    digest: `sha256:${'a'.repeat(64)}`,
    size: 1200,
    lastUpdateTime: context.now,
    metadata: { 'org.opencontainers.image.source': 'https://github.com/org/fleet', 'org.opencontainers.image.revision': 'main@sha1:abc' },
  };

  it("is Ready with Flux's message, and says where a new artifact came from", () => {
    const { status, event } = nextOCIRepositoryStatus({}, { outcome: 'stored', artifact, url: 'http://source-controller/ocirepository/apps/podinfo/latest.tar.gz', ignore: '*.md', fetchedFrom: 'oci://ghcr.io/org/podinfo' }, context);
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded', message: `stored artifact for digest '${artifact.revision}'` });
    expect(status.conditions?.find((c) => c.type === 'ArtifactInStorage')).toMatchObject({ status: 'True', reason: 'Succeeded', message: `stored artifact for digest '${artifact.revision}'` });
    expect(status).toMatchObject({ observedGeneration: 2, observedIgnore: '*.md', url: 'http://source-controller/ocirepository/apps/podinfo/latest.tar.gz' });
    expect(event).toEqual({
      type: 'Normal',
      reason: 'NewArtifact',
      message: `stored artifact with revision '${artifact.revision}' from 'oci://ghcr.io/org/podinfo', origin source 'https://github.com/org/fleet', origin revision 'main@sha1:abc'`,
      annotations: { 'source.toolkit.fluxcd.io/revision': artifact.revision, 'source.toolkit.fluxcd.io/digest': artifact.digest },
    });
  });

  it('keeps the last artifact through a failure, and tells of the recovery', () => {
    const stored: OCIRepositoryStatus = nextOCIRepositoryStatus({}, { outcome: 'stored', artifact, url: 'u', fetchedFrom: 'oci://x/y' }, context).status;
    const failed = nextOCIRepositoryStatus(stored, { outcome: 'failed', reason: 'OCIArtifactPullFailed', message: 'failed to pull artifact', stalled: false }, context);
    expect(failed.status.artifact).toEqual(artifact);
    expect(failed.status.conditions?.find((c) => c.type === 'FetchFailed')).toMatchObject({ status: 'True', reason: 'OCIArtifactPullFailed' });
    expect(failed.event).toMatchObject({ type: 'Warning', reason: 'OCIArtifactPullFailed' });
    const recovered = nextOCIRepositoryStatus(failed.status, { outcome: 'unchanged', artifact, fetchedFrom: 'oci://x/y' }, context);
    expect(recovered.status.conditions?.find((c) => c.type === 'FetchFailed')).toBeUndefined();
    expect(recovered.event).toMatchObject({ type: 'Normal', reason: 'Succeeded' });
    expect(nextOCIRepositoryStatus(recovered.status, { outcome: 'unchanged', artifact, fetchedFrom: 'oci://x/y' }, context).event).toBeUndefined();
  });

  it('is rebuilt when the ignore rules or the layer selector differ from those of the stored artifact', () => {
    expect(ociContentChanged({}, {})).toBe(false);
    expect(ociContentChanged({ observedIgnore: '*.md' }, { ignore: '*.md' })).toBe(false);
    expect(ociContentChanged({ observedIgnore: '*.md' }, {})).toBe(true);
    expect(ociContentChanged({}, { layerSelector: { mediaType: 'x' } })).toBe(true);
    expect(ociContentChanged({ observedLayerSelector: { mediaType: 'x', operation: 'copy' } }, { layerSelector: { mediaType: 'x', operation: 'copy' } })).toBe(false);
    expect(ociContentChanged({ observedLayerSelector: { mediaType: 'x' } }, { layerSelector: { mediaType: 'x', operation: 'copy' } })).toBe(true);
  });
});

describe('registry scheme and errors, as go-containerregistry', () => {
  it('may reach local and private registries over plain HTTP', () => {
    expect(['localhost:5000', '127.0.0.1:5000', '[::1]:5000', '10.1.2.3:5000', '172.20.0.1', '192.168.1.10:443', 'registry.local', 'registry.local:5000'].every(mayServePlainHttp)).toBe(true);
    expect(['ghcr.io', '172.32.0.1:5000', '11.0.0.1', 'example.com:5000', 'localhost'].some(mayServePlainHttp)).toBe(false);
  });

  it("prints an error's detail as Go's %v prints the decoded JSON", () => {
    expect(goErrorDetail({ Tag: 'latest' })).toBe('map[Tag:latest]');
    expect(goErrorDetail({ b: [1, 'x'], a: null })).toBe('map[a:<nil> b:[1 x]]');
  });
});

describe('OCI registry client, as go-containerregistry', () => {
  const layer = Buffer.from('layer bytes');
  const layerDigest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [{ mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', digest: layerDigest, size: layer.length }] });
  const manifestDigest = digest(manifest);
  const seen: string[] = [];
  let tlsAttempts = 0;
  let server: Server;
  let host: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = request.url ?? '';
      seen.push(`${request.method} ${url}`);
      if (url === '/v2/') return void response.writeHead(200).end();
      if (url === '/v2/apps/manifests/latest' && request.method === 'HEAD') return void response.writeHead(200, { 'Docker-Content-Digest': manifestDigest }).end();
      // A registry that does not answer HEAD with the digest: the manifest is read instead.
      if (url === '/v2/apps/manifests/nohead' && request.method === 'HEAD') return void response.writeHead(405).end();
      if ((url === '/v2/apps/manifests/nohead' || url === `/v2/apps/manifests/${manifestDigest}`) && request.method === 'GET') {
        return void response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
      }
      if (url === `/v2/apps/blobs/${layerDigest}`) return void response.writeHead(200).end(layer);
      if (url === `/v2/apps/blobs/sha256:${'0'.repeat(64)}`) return void response.writeHead(200).end('other bytes');
      if (request.method === 'HEAD') return void response.writeHead(404).end();
      response.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'missing' } }] }));
    });
    // A TLS ClientHello is no HTTP request: the client's HTTPS attempt shows as a client error.
    server.on('clientError', (_error, socket) => {
      tlsAttempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reaches a loopback registry over plain HTTP once HTTPS fails, and takes a tag’s digest from a HEAD', async () => {
    const client = ociRegistryClient(host, { client: 'go-containerregistry', insecure: false, timeoutMs: 10_000 });
    expect(await client.digestOf('apps', 'latest')).toBe(manifestDigest);
    expect(tlsAttempts).toBe(1);
    expect(seen[0]).toBe('GET /v2/');
    expect(seen).toContain('HEAD /v2/apps/manifests/latest');
    expect(seen.some((line) => line.startsWith('GET /v2/apps/manifests/latest'))).toBe(false);
    expect(await client.digestOf('apps', 'nohead')).toBe(manifestDigest);
  });

  it('reads a manifest by digest and streams a blob, each checked against its digest', async () => {
    const client = ociRegistryClient(host, { client: 'go-containerregistry', insecure: true, timeoutMs: 10_000 });
    const read = await client.manifest('apps', manifestDigest);
    expect(read).toMatchObject({ digest: manifestDigest, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    const destination = join(mkdtempSync(join(tmpdir(), 'oci-blob-')), 'layer');
    await client.downloadBlob('apps', layerDigest, destination, { maxSize: 1024, tooLarge: 'too large' });
    expect(readFileSync(destination).equals(layer)).toBe(true);
    await expect(client.downloadBlob('apps', `sha256:${'0'.repeat(64)}`, destination, { maxSize: 1024, tooLarge: 'too large' })).rejects.toThrow(
      `error verifying sha256 checksum after reading 11 bytes; got "${digest('other bytes')}", want "sha256:${'0'.repeat(64)}"`,
    );
    await expect(client.downloadBlob('apps', layerDigest, destination, { maxSize: 4, tooLarge: 'the layer is too large' })).rejects.toThrow('the layer is too large');
  });

  it("says what the registry answered in transport.Error's words", async () => {
    const client = ociRegistryClient(host, { client: 'go-containerregistry', insecure: true, timeoutMs: 10_000 });
    await expect(client.digestOf('apps', 'missing')).rejects.toThrow(`GET http://${host}/v2/apps/manifests/missing: MANIFEST_UNKNOWN: manifest unknown; map[Tag:missing]`);
  });
});

describe('a HelmRelease chart from an OCIRepository', () => {
  const digest = `sha256:0cc9a8446c95${'f'.repeat(52)}`;

  it("carries the artifact digest's first 12 characters as its version's build metadata (helm-controller's mutateChartWithSourceRevision)", () => {
    expect(ociChartVersion('6.6.1', `6.6.1@${digest}`)).toEqual({ ok: true, version: '6.6.1+0cc9a8446c95', ociDigest: digest });
    expect(ociChartVersion('6.6.1', digest)).toEqual({ ok: true, version: '6.6.1+0cc9a8446c95', ociDigest: digest });
    expect(ociChartVersion('2.0.0-rc.1+build.7', digest)).toMatchObject({ version: '2.0.0-rc.1+0cc9a8446c95' });
  });

  it("takes a tag equal to the chart's version as semver: `_` read as `+`, a leading v, build metadata left out", () => {
    expect(ociChartVersion('1.0.0+build.1', `1.0.0_build.1@${digest}`)).toMatchObject({ ok: true, version: '1.0.0+0cc9a8446c95' });
    expect(ociChartVersion('6.6.1', `v6.6.1@${digest}`)).toMatchObject({ ok: true, version: '6.6.1+0cc9a8446c95' });
  });

  it('is refused when the tag is not the chart version, in helm-controller’s words', () => {
    expect(ociChartVersion('6.6.1', `6.6.0@${digest}`)).toEqual({ ok: false, message: 'artifact revision 6.6.0 does not match chart version 6.6.1' });
    expect(ociChartVersion('6.6.1', `latest@${digest}`)).toEqual({ ok: false, message: 'failed parsing artifact revision latest' });
    expect(ociChartVersion('6.6.1', 'sha256:abc')).toEqual({ ok: false, message: 'invalid artifact revision sha256:abc' });
  });
});
