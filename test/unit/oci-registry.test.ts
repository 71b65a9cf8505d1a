// A Helm chart from an OCI registry as source-controller pulls it: the reference, the
// version chosen from the registry's tags, the auth challenge, a tag list's next page,
// a docker-registry Secret's credentials, the chart layer; and the client against a
// registry on this machine that asks for a Bearer token.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  chartLayer,
  chartVersionsFromTags,
  dockerConfigCredentials,
  isConcreteVersion,
  nextPageUrl,
  ociChartReference,
  OciMediaType,
  parseAuthChallenge,
  selectTaggedVersion,
  tagOfVersion,
  tagsOfPage,
} from '../../domain/oci-reference.js';
import { ociRegistryClient, OciRegistryError } from '../../oci/registry.js';

describe('OCI chart reference', () => {
  it('is the repository URL joined with the chart name', () => {
    expect(ociChartReference('oci://ghcr.io/stefanprodan/charts', 'podinfo')).toEqual({ host: 'ghcr.io', repository: 'stefanprodan/charts/podinfo', url: 'oci://ghcr.io/stefanprodan/charts/podinfo' });
    expect(ociChartReference('oci://127.0.0.1:5000/charts/', 'another/grafana')).toEqual({ host: '127.0.0.1:5000', repository: 'charts/another/grafana', url: 'oci://127.0.0.1:5000/charts/another/grafana' });
    expect(ociChartReference('oci://registry.example', 'app').repository).toBe('app');
    expect(() => ociChartReference('https://charts.example.com', 'app')).toThrow('invalid OCI registry URL: https://charts.example.com');
  });

  it('takes a concrete version as it is, without listing tags', () => {
    expect(isConcreteVersion('1.0.0')).toBe(true);
    expect(isConcreteVersion('v1.2.3-rc.1+build.5')).toBe(true);
    expect(isConcreteVersion('1.x')).toBe(false);
    expect(isConcreteVersion('*')).toBe(false);
    expect(isConcreteVersion('>=1.0.0')).toBe(false);
    expect(isConcreteVersion('1.0')).toBe(false);
  });
});

describe('OCI chart versions', () => {
  it('are the strict semver tags, `_` read as `+`, newest first', () => {
    expect(chartVersionsFromTags(['1.0.0', 'latest', '2.0.0', 'v3.0.0', '1.1.0', '1.1.0_build.7', '2.1.0-rc.1', 'sha256-abc.sig'])).toEqual(['2.1.0-rc.1', '2.0.0', '1.1.0', '1.1.0+build.7', '1.0.0']);
    expect(tagOfVersion('1.1.0+build.7')).toBe('1.1.0_build.7');
  });

  it('are chosen as Flux chooses: an exact tag first, else the newest the constraint admits', () => {
    const versions = chartVersionsFromTags(['1.0.0', '1.1.0', '2.0.0', '3.0.0-rc.1']);
    expect(selectTaggedVersion(versions, '1.x')).toBe('1.1.0');
    expect(selectTaggedVersion(versions, '*')).toBe('2.0.0');
    expect(selectTaggedVersion(versions, '')).toBe('2.0.0');
    expect(selectTaggedVersion(versions, '>=1.0.0, <2.0.0')).toBe('1.1.0');
    expect(selectTaggedVersion(versions, '>=3.0.0-0')).toBe('3.0.0-rc.1');
    expect(selectTaggedVersion(versions, '3.0.0-rc.1')).toBe('3.0.0-rc.1');
    expect(() => selectTaggedVersion(versions, '>=4')).toThrow('could not locate a version matching provided version string >=4');
    expect(() => selectTaggedVersion(versions, 'not a version')).toThrow('improper constraint: not a version');
  });
});

describe('registry auth challenge', () => {
  it('reads the scheme and the parameters of WWW-Authenticate', () => {
    expect(parseAuthChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:stefanprodan/charts/podinfo:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:stefanprodan/charts/podinfo:pull' },
    });
    expect(parseAuthChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseAuthChallenge('Bearer realm=https://auth.example/token, service=registry')).toEqual({ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry' } });
    expect(parseAuthChallenge('Bearer realm="a\\"b",scope="repository:x:pull,push"')?.params).toEqual({ realm: 'a"b', scope: 'repository:x:pull,push' });
    expect(parseAuthChallenge('')).toBeUndefined();
  });
});

describe('tag list', () => {
  it('is read from its page, and continues at the Link marked next', () => {
    expect(tagsOfPage({ name: 'charts/podinfo', tags: ['1.0.0', 2, '1.1.0'] })).toEqual(['1.0.0', '1.1.0']);
    expect(tagsOfPage({ name: 'charts/podinfo', tags: null })).toEqual([]);
    const page = 'http://127.0.0.1:5000/v2/charts/podinfo/tags/list';
    expect(nextPageUrl('</v2/charts/podinfo/tags/list?last=1.1.0&n=2>; rel="next"', page)).toBe('http://127.0.0.1:5000/v2/charts/podinfo/tags/list?last=1.1.0&n=2');
    expect(nextPageUrl('<https://other.example/prev>; rel="prev"', page)).toBeUndefined();
    expect(nextPageUrl(undefined, page)).toBeUndefined();
  });
});

describe('docker-registry Secret', () => {
  const config = (auths: Record<string, unknown>) => JSON.stringify({ auths });

  it("gives the credentials of the registry's host, from username and password or from auth", () => {
    expect(dockerConfigCredentials(config({ 'ghcr.io': { username: 'flux', password: 'pa55' } }), 'ghcr.io', 'regcred')).toEqual({ username: 'flux', password: 'pa55' });
    const auth = Buffer.from('flux:pa:55').toString('base64');
    expect(dockerConfigCredentials(config({ 'https://127.0.0.1:5000/v1/': { auth } }), '127.0.0.1:5000', 'regcred')).toEqual({ username: 'flux', password: 'pa:55' });
  });

  it("names the host and the Secret when there is no entry for it, as Flux does", () => {
    expect(() => dockerConfigCredentials(config({ 'docker.io': { auth: 'eDp5' } }), 'ghcr.io', 'regcred')).toThrow("no auth config for 'ghcr.io' in the docker-registry Secret 'regcred'");
    expect(() => dockerConfigCredentials('{', 'ghcr.io', 'regcred')).toThrow(/^unable to load Docker config from Secret 'regcred': /);
    // The parser's own words would quote the text around the mistake: a password.
    expect(() => dockerConfigCredentials('{"auths":{"ghcr.io":{"password":hunter2}}}', 'ghcr.io', 'regcred')).toThrow("unable to load Docker config from Secret 'regcred': invalid JSON");
  });
});

describe('chart manifest', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it("has the chart's package as its Helm chart layer", () => {
    const manifest = {
      schemaVersion: 2,
      config: { mediaType: OciMediaType.helmConfig, digest: `sha256:${'b'.repeat(64)}`, size: 141 },
      layers: [{ mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov', digest: `sha256:${'c'.repeat(64)}` }, { mediaType: OciMediaType.chartLayer, digest, size: 4916 }],
    };
    expect(chartLayer(manifest)).toEqual({ digest, size: 4916 });
    expect(chartLayer({ layers: [{ mediaType: OciMediaType.legacyChartLayer, digest }] }).digest).toBe(digest);
  });

  it("is refused without one, in Helm's words", () => {
    expect(() => chartLayer({ layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest }] })).toThrow(`manifest does not contain a layer with mediatype ${OciMediaType.chartLayer}`);
  });
});

describe('OCI registry client', () => {
  const chart = Buffer.from('not really a chart, but bytes with a digest');
  const chartDigest = `sha256:${createHash('sha256').update(chart).digest('hex')}`;
  const credentials = { username: 'flux', password: 'pa55' };
  const seen: { url: string; authorization?: string; accept?: string }[] = [];
  let server: Server;
  let host: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = request.url ?? '';
      seen.push({ url, authorization: request.headers.authorization, accept: request.headers.accept });
      if (url.startsWith('/token')) {
        const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
        if (request.headers.authorization !== expected) return void response.writeHead(401).end();
        return void response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'the-token' }));
      }
      if (request.headers.authorization !== 'Bearer the-token') {
        response.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${host}/token",service="test",scope="repository:charts/podinfo:pull"` });
        return void response.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      }
      if (url === '/v2/charts/podinfo/tags/list') {
        return void response.writeHead(200, { Link: '</v2/charts/podinfo/tags/list?last=1.0.0&n=1>; rel="next"' }).end(JSON.stringify({ tags: ['1.0.0'] }));
      }
      if (url === '/v2/charts/podinfo/tags/list?last=1.0.0&n=1') return void response.writeHead(200).end(JSON.stringify({ tags: ['1.1.0_build.1'] }));
      if (url === '/v2/charts/podinfo/manifests/1.1.0_build.1') {
        return void response.writeHead(200, { 'Content-Type': OciMediaType.imageManifest }).end(JSON.stringify({ layers: [{ mediaType: OciMediaType.chartLayer, digest: chartDigest, size: chart.length }] }));
      }
      if (url === `/v2/charts/podinfo/blobs/${chartDigest}`) return void response.writeHead(200).end(chart);
      response.writeHead(404).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'Unknown manifest' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a Bearer challenge with a token got with the credentials, lists every page of tags and pulls the chart layer', async () => {
    const client = ociRegistryClient(host, { insecure: true, timeoutMs: 10_000, basicAuth: credentials });
    expect(chartVersionsFromTags(await client.tags('charts/podinfo'))).toEqual(['1.1.0+build.1', '1.0.0']);
    const bytes = await client.pullChart('charts/podinfo', tagOfVersion('1.1.0+build.1'), { maxSize: 1024, tooLarge: 'too large' });
    expect(bytes.equals(chart)).toBe(true);
    expect(seen.find((request) => request.url.startsWith('/token'))?.url).toBe('/token?service=test&scope=repository%3Acharts%2Fpodinfo%3Apull');
    expect(seen.find((request) => request.url.includes('/manifests/'))?.accept).toBe(OciMediaType.imageManifest);
    // One token for the repository: one challenge only.
    expect(seen.filter((request) => request.url.startsWith('/token'))).toHaveLength(1);
  });

  it('says what the registry answered: a tag it does not have, a size over the limit, a token refused', async () => {
    const client = ociRegistryClient(host, { insecure: true, timeoutMs: 10_000, basicAuth: credentials });
    await expect(client.pullChart('charts/podinfo', '9.0.0', { maxSize: 1024, tooLarge: 'too large' })).rejects.toThrow(`${host}/charts/podinfo:9.0.0: not found`);
    await expect(client.pullChart('charts/podinfo', '1.1.0_build.1', { maxSize: 4, tooLarge: 'chart exceeds the maximum chart file size of 4 bytes' })).rejects.toThrow('chart exceeds the maximum chart file size of 4 bytes');
    const anonymous = ociRegistryClient(host, { insecure: true, timeoutMs: 10_000 });
    const refused = anonymous.tags('charts/podinfo');
    await expect(refused).rejects.toBeInstanceOf(OciRegistryError);
    await expect(refused).rejects.toThrow(`GET "http://${host}/token?service=test&scope=repository%3Acharts%2Fpodinfo%3Apull": response status code 401`);
  });
});
