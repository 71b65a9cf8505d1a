// The pure half of pulling a Helm chart from an OCI registry as source-controller does
// (internal/helm/repository/oci_chart_repository.go, with Helm's registry client): the
// chart's reference (`oci://host/path` + chart name), the version chosen from the
// registry's tags, the registry's auth challenge, a tag list's next page, a Docker config's
// credentials for the host, and the chart layer of a manifest.
import semver from 'semver';
import { parseVersionConstraint, satisfiesConstraint } from './semver-constraint.js';

export const OciMediaType = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  helmConfig: 'application/vnd.cncf.helm.config.v1+json',
  chartLayer: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
  /** the chart layer's media type before Helm 3.8, which Helm still pulls */
  legacyChartLayer: 'application/tar+gzip',
} as const;

/** A chart's version cannot be chosen, or its manifest has no chart: Flux's words. */
export class OciReferenceError extends Error {
  override readonly name = 'OciReferenceError';
}

/** Where a chart lives: `oci://127.0.0.1:5000/charts` and `podinfo` → host `127.0.0.1:5000`, repository `charts/podinfo`. */
export interface OciChartReference {
  host: string;
  repository: string;
  /** `oci://host/repository`, as Flux's messages name it */
  url: string;
}

export function ociChartReference(repositoryUrl: string, chart: string): OciChartReference {
  if (!repositoryUrl.startsWith('oci://')) throw new OciReferenceError(`invalid OCI registry URL: ${repositoryUrl}`);
  const rest = repositoryUrl.slice('oci://'.length);
  const slash = rest.indexOf('/');
  const host = slash < 0 ? rest : rest.slice(0, slash);
  if (host === '') throw new OciReferenceError(`invalid OCI registry URL: ${repositoryUrl}`);
  // Go's path.Join: empty segments and trailing slashes go.
  const repository = [...(slash < 0 ? [] : rest.slice(slash + 1).split('/')), ...chart.split('/')].filter((part) => part !== '').join('/');
  return { host, repository, url: `oci://${host}/${repository}` };
}

/** A version Flux takes as it is, without listing tags (fluxcd/pkg/version.ParseVersion: strict semver, a leading `v` allowed). */
export function isConcreteVersion(version: string): boolean {
  return parseFluxVersion(version) !== undefined;
}

/** fluxcd/pkg/version.ParseVersion: strict semver, a leading `v` allowed. */
export function parseFluxVersion(version: string): semver.SemVer | undefined {
  if (!/^v?[0-9]/.test(version)) return undefined;
  return semver.parse(version.replace(/^v/, '')) ?? undefined;
}

/** Masterminds' String(): build metadata kept, which node-semver's `version` drops. */
function canonical(version: semver.SemVer): string {
  return version.build.length > 0 ? `${version.version}+${version.build.join('.')}` : version.version;
}

/**
 * Helm's registry client Tags(): OCI tags cannot hold `+`, so `_` is read as `+`; only
 * strict semver tags count (no leading `v`), newest first.
 */
export function chartVersionsFromTags(tags: readonly string[]): string[] {
  const versions: semver.SemVer[] = [];
  for (const tag of tags) {
    const candidate = tag.replaceAll('_', '+');
    if (!/^[0-9]/.test(candidate)) continue;
    const parsed = semver.parse(candidate);
    if (parsed) versions.push(parsed);
  }
  return versions.sort((a, b) => semver.rcompare(a, b)).map(canonical);
}

/** The tag a version is stored under: `+` is not allowed in a tag, Helm writes `_`. */
export function tagOfVersion(version: string): string {
  return version.replaceAll('+', '_');
}

/**
 * Flux's getLastMatchingVersionOrConstraint: the version string itself when a tag is
 * exactly that, else the newest the constraint admits (`*` and empty: the newest stable).
 */
export function selectTaggedVersion(versions: readonly string[], constraint: string): string {
  if (constraint !== '' && versions.includes(constraint)) return constraint;
  const newestStable = constraint === '' || constraint === '*';
  const parsed = parseVersionConstraint(newestStable ? '*' : constraint);
  if (!parsed) throw new OciReferenceError(`improper constraint: ${constraint}`);
  const matching = versions
    .map((original) => ({ original, version: parseFluxVersion(original) }))
    .filter((entry): entry is { original: string; version: semver.SemVer } => !!entry.version && satisfiesConstraint(entry.version, parsed));
  if (matching.length === 0) throw new OciReferenceError(`could not locate a version matching provided version string ${constraint}`);
  matching.sort((a, b) => semver.rcompare(a.version, b.version));
  return matching[0]!.original;
}

/** A `WWW-Authenticate` challenge: its scheme (lower case) and parameters. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://auth.example/token",service="registry",scope="repository:charts/podinfo:pull"`. */
export function parseAuthChallenge(header: string): AuthChallenge | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const param = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/gy;
  const rest = match[2]!;
  param.lastIndex = 0;
  for (let found = param.exec(rest); found; found = param.exec(rest)) {
    params[found[1]!.toLowerCase()] = found[2] !== undefined ? found[2].replace(/\\(.)/g, '$1') : found[3]!;
    if (param.lastIndex >= rest.length) break;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

/** The next page of a tag list, from its `Link: </v2/…/tags/list?last=x&n=y>; rel="next"` header, resolved against the page's URL. */
export function nextPageUrl(link: string | null | undefined, current: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /\brel\s*=\s*"?next"?/i.test(match[2]!)) return new URL(match[1]!, current).toString();
  }
  return undefined;
}

/** The tags of a `/v2/<name>/tags/list` page. */
export function tagsOfPage(body: unknown): string[] {
  const tags = (body as { tags?: unknown } | null)?.tags;
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

/**
 * The credentials a `kubernetes.io/dockerconfigjson` Secret holds for `host`, as Flux's
 * LoginOptionFromSecret reads them (the `auths` keys may be URLs; `auth` is base64 of
 * `user:password`).
 */
export function dockerConfigCredentials(configJson: string, host: string, secretName: string): { username: string; password: string } {
  const credentials = dockerConfigCredentialsFor(configJson, host, secretName);
  if (!credentials) throw new OciReferenceError(`no auth config for '${host}' in the docker-registry Secret '${secretName}'`);
  return credentials;
}

/** The same, undefined when the config has no entry for `host` (go-containerregistry's k8schain then goes anonymous). */
export function dockerConfigCredentialsFor(configJson: string, host: string, secretName: string): { username: string; password: string } | undefined {
  let config: { auths?: Record<string, { username?: string; password?: string; auth?: string }> };
  try {
    config = JSON.parse(configJson) as typeof config;
  } catch {
    // Not the parser's words: they quote the text around the mistake, which may hold a password.
    throw new OciReferenceError(`unable to load Docker config from Secret '${secretName}': invalid JSON`);
  }
  const entry = Object.entries(config?.auths ?? {}).find(([server]) => registryHostname(server) === host)?.[1];
  if (!entry) return undefined;
  let { username = '', password = '' } = entry;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OciReferenceError(`unable to get authentication data from Secret '${secretName}': invalid auth configuration file`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  return { username, password };
}

/** docker/cli ConvertToHostname: `https://host:5000/v1/` → `host:5000`. */
function registryHostname(server: string): string {
  return server.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
}

/** The chart layer of a Helm chart's manifest, with Helm's error when there is none. */
export function chartLayer(manifest: unknown): { digest: string; size?: number } {
  const layers = ((manifest as { layers?: unknown } | null)?.layers ?? []) as Descriptor[];
  const layer = (Array.isArray(layers) ? layers : []).find((candidate) => candidate?.mediaType === OciMediaType.chartLayer || candidate?.mediaType === OciMediaType.legacyChartLayer);
  if (!layer || typeof layer.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(layer.digest)) {
    throw new OciReferenceError(`manifest does not contain a layer with mediatype ${OciMediaType.chartLayer}`);
  }
  return { digest: layer.digest, size: layer.size };
}

/**
 * Whether go-containerregistry may reach `host` over plain HTTP without `insecure`
 * (name.Registry.Scheme): localhost, a loopback or private (RFC 1918) address, `.local`.
 * It still tries HTTPS first.
 */
export function mayServePlainHttp(host: string): boolean {
  if (host.startsWith('localhost:')) return true;
  if (host.includes('127.0.0.1') || host.includes('::1')) return true;
  if (host.endsWith('.local') || host.includes('.local:')) return true;
  const address = host.replace(/:\d+$/, '');
  const octets = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(address);
  if (!octets) return false;
  const [first, second] = [Number(octets[1]), Number(octets[2])];
  return first === 10 || (first === 172 && second >= 16 && second <= 31) || (first === 192 && second === 168);
}

/** A registry error's `detail` as Go's `%v` prints the decoded JSON: `map[Tag:latest]`, `[a b]`. */
export function goErrorDetail(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goErrorDetail).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([key, entry]) => `${key}:${goErrorDetail(entry)}`).join(' ')}]`;
  }
  return String(value);
}
