// The digests a HelmRelease's status records, computed over the bytes Flux hashes, so a status
// written by Flux reads as in sync here and the reverse:
// - the config digest (status.lastAttemptedConfigDigest, history[].configDigest):
//   fluxcd/pkg chartutil DigestValues, sha256 of the values as sorted YAML (go-yaml-emitter.ts),
//   of nothing at all for no values;
// - a release's digest (history[].digest): helm-controller internal/release digest.go, sha256 of
//   the JSON encoding/json writes for the release as observed (observation.go), which leaves out
//   the chart's files and the test hooks, so running `helm test` is not a change.
// status.lastAttemptedValuesChecksum, the sha1 of v2beta1, is written empty by helm-controller v1.4.
import { createHash } from 'node:crypto';
import { encodeSortedYaml } from './go-yaml-emitter.js';
import { compareGoStrings, type GoMap, type GoValue } from './go-yaml.js';
import type { Snapshot, TestHookStatus } from './helmrelease-status.js';

export function configDigest(values: GoMap | null | undefined): string {
  const empty = values === null || values === undefined || Object.keys(values).length === 0;
  return sha256(empty ? '' : encodeSortedYaml(values));
}

/**
 * A release as Helm stores it (pkg/release Release, the JSON inside the
 * `sh.helm.release.v1.<name>.v<version>` Secret), the fields the digest reads. Times are
 * as Helm writes them (RFC 3339, nanoseconds), `""` or absent for none.
 */
export interface StoredRelease {
  name: string;
  namespace: string;
  version: number;
  info?: {
    first_deployed?: string;
    last_deployed?: string;
    deleted?: string;
    description?: string;
    status?: string;
    notes?: string;
  };
  chart?: { metadata?: ChartMetadata };
  config?: GoMap | null;
  manifest?: string;
  hooks?: StoredHook[] | null;
}

/** pkg/chart Metadata, as Chart.yaml names its fields. */
export interface ChartMetadata {
  name?: string;
  home?: string;
  sources?: string[];
  version?: string;
  description?: string;
  keywords?: string[];
  maintainers?: { name?: string; email?: string; url?: string }[];
  icon?: string;
  apiVersion?: string;
  condition?: string;
  tags?: string;
  appVersion?: string;
  deprecated?: boolean;
  annotations?: Record<string, string>;
  kubeVersion?: string;
  dependencies?: {
    name: string;
    version?: string;
    repository: string;
    condition?: string;
    tags?: string[];
    enabled?: boolean;
    'import-values'?: GoValue[];
    alias?: string;
  }[];
  type?: string;
}

/** pkg/release Hook */
export interface StoredHook {
  name?: string;
  kind?: string;
  path?: string;
  manifest?: string;
  events?: string[];
  last_run?: { started_at?: string; completed_at?: string; phase?: string };
  weight?: number;
  delete_policies?: string[];
  output_log_policies?: string[];
}

/** Digest(digest.Canonical, ObserveRelease(release)), with the OCI digest Flux records for it. */
export function releaseDigest(release: StoredRelease, ociDigest?: string): string {
  const info = release.info ?? {};
  const hooks = (release.hooks ?? []).filter((hook) => !isTestHook(hook));
  const config = release.config && Object.keys(release.config).length > 0 ? release.config : null;
  const observation = new Struct([
    ['name', release.name],
    ['version', release.version],
    [
      'info',
      new Struct([
        // Helm's time type writes a zero time as "".
        ['first_deployed', goTime(info.first_deployed)],
        ['last_deployed', goTime(info.last_deployed)],
        ['deleted', goTime(info.deleted)],
        ['description', omitEmpty(info.description)],
        ['status', omitEmpty(info.status)],
        ['notes', omitEmpty(info.notes)],
      ]),
    ],
    ['chartMetadata', chartMetadata(release.chart?.metadata ?? {})],
    ['config', config],
    ['manifest', release.manifest ?? ''],
    ['hooks', hooks.length > 0 ? hooks.map(hook) : null],
    ['namespace', release.namespace],
    ['ociDigest', omitEmpty(ociDigest)],
  ]);
  // json.Encoder.Encode ends the document with a newline.
  return sha256(`${goJson(observation)}\n`);
}

/**
 * ObservedToSnapshot: the history entry for a release. Test results are the caller's to add:
 * Flux records them only for the release it tested.
 */
export function snapshotOf(release: StoredRelease, ociDigest?: string): Snapshot {
  const metadata = release.chart?.metadata ?? {};
  const info = release.info ?? {};
  return {
    digest: releaseDigest(release, ociDigest),
    name: release.name,
    namespace: release.namespace,
    version: release.version,
    status: info.status ?? '',
    chartName: metadata.name ?? '',
    chartVersion: metadata.version ?? '',
    ...(metadata.appVersion ? { appVersion: metadata.appVersion } : {}),
    configDigest: configDigest(release.config),
    ...optionalTime('firstDeployed', info.first_deployed),
    ...optionalTime('lastDeployed', info.last_deployed),
    ...optionalTime('deleted', info.deleted),
    ...(ociDigest ? { ociDigest } : {}),
  };
}

/** TestHooksFromRelease: each test hook by name, with when it last ran. */
export function testHooksOf(release: StoredRelease): Record<string, TestHookStatus> {
  const hooks: Record<string, TestHookStatus> = {};
  for (const stored of release.hooks ?? []) {
    if (!isTestHook(stored)) continue;
    const run = stored.last_run ?? {};
    hooks[stored.name ?? ''] = {
      ...optionalTime('lastStarted', run.started_at),
      ...optionalTime('lastCompleted', run.completed_at),
      ...(run.phase ? { phase: run.phase } : {}),
    };
  }
  return hooks;
}

function isTestHook(hook: StoredHook): boolean {
  return (hook.events ?? []).includes('test');
}

function chartMetadata(metadata: ChartMetadata): Struct {
  return new Struct([
    ['name', omitEmpty(metadata.name)],
    ['home', omitEmpty(metadata.home)],
    ['sources', omitEmpty(metadata.sources)],
    ['version', omitEmpty(metadata.version)],
    ['description', omitEmpty(metadata.description)],
    ['keywords', omitEmpty(metadata.keywords)],
    [
      'maintainers',
      omitEmpty(metadata.maintainers?.map((maintainer) => new Struct([['name', omitEmpty(maintainer.name)], ['email', omitEmpty(maintainer.email)], ['url', omitEmpty(maintainer.url)]]))),
    ],
    ['icon', omitEmpty(metadata.icon)],
    ['apiVersion', omitEmpty(metadata.apiVersion)],
    ['condition', omitEmpty(metadata.condition)],
    ['tags', omitEmpty(metadata.tags)],
    ['appVersion', omitEmpty(metadata.appVersion)],
    ['deprecated', metadata.deprecated ? true : undefined],
    ['annotations', omitEmpty(metadata.annotations)],
    ['kubeVersion', omitEmpty(metadata.kubeVersion)],
    [
      'dependencies',
      omitEmpty(
        metadata.dependencies?.map(
          (dependency) =>
            new Struct([
              ['name', dependency.name],
              ['version', omitEmpty(dependency.version)],
              ['repository', dependency.repository],
              ['condition', omitEmpty(dependency.condition)],
              ['tags', omitEmpty(dependency.tags)],
              ['enabled', dependency.enabled ? true : undefined],
              ['import-values', omitEmpty(dependency['import-values'])],
              ['alias', omitEmpty(dependency.alias)],
            ]),
        ),
      ),
    ],
    ['type', omitEmpty(metadata.type)],
  ]);
}

function hook(stored: StoredHook): Struct {
  const run = stored.last_run ?? {};
  return new Struct([
    ['name', omitEmpty(stored.name)],
    ['kind', omitEmpty(stored.kind)],
    ['path', omitEmpty(stored.path)],
    ['manifest', omitEmpty(stored.manifest)],
    ['events', omitEmpty(stored.events)],
    // A struct is never empty to omitempty.
    ['last_run', new Struct([['started_at', goTime(run.started_at)], ['completed_at', goTime(run.completed_at)], ['phase', run.phase ?? '']])],
    ['weight', stored.weight ? stored.weight : undefined],
    ['delete_policies', omitEmpty(stored.delete_policies)],
    ['output_log_policies', omitEmpty(stored.output_log_policies)],
  ]);
}

/** A Go struct: its fields in declaration order, `undefined` for one omitempty leaves out. */
class Struct {
  constructor(readonly fields: [string, JsonValue | undefined][]) {}
}

type JsonValue = GoValue | Struct | JsonValue[] | { [key: string]: JsonValue } | undefined;

function omitEmpty<T extends string | unknown[] | Record<string, unknown>>(value: T | undefined): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  return (Array.isArray(value) ? value.length : Object.keys(value).length) === 0 ? undefined : value;
}

/** time.Time.MarshalJSON (RFC 3339 with the nanoseconds that are not zero) of a time Helm wrote; "" for none. */
function goTime(text: string | undefined): string {
  if (!text) return '';
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!match) throw new Error(`not an RFC 3339 time: ${text}`);
  const fraction = (match[2] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = match[3] === '+00:00' || match[3] === '-00:00' ? 'Z' : match[3];
  return `${match[1]}${fraction ? `.${fraction}` : ''}${zone}`;
}

/** metav1.Time: UTC, whole seconds; absent for none. */
function optionalTime<K extends string>(key: K, text: string | undefined): Partial<Record<K, string>> {
  if (!text) return {};
  const utc = new Date(goTime(text).replace(/\.\d+/, '')).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { [key]: utc } as Partial<Record<K, string>>;
}

/** encoding/json with its defaults: map keys sorted by bytes, HTML characters escaped. */
export function goJson(value: JsonValue): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Struct) {
    const fields = value.fields.filter(([, field]) => field !== undefined).map(([name, field]) => `${goString(name)}:${goJson(field)}`);
    return `{${fields.join(',')}}`;
  }
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`json: unsupported value: ${value}`);
    // encoding/json writes float64 as ES6 does, but keeps the sign of zero.
    return Object.is(value, -0) ? '-0' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  const keys = Object.keys(value).sort(compareGoStrings);
  return `{${keys.map((key) => `${goString(key)}:${goJson(value[key])}`).join(',')}}`;
}

/** A string as encoding/json writes it by default (HTMLEscape on). */
export function goString(text: string): string {
  let out = '"';
  for (const character of text) {
    const code = character.codePointAt(0)!;
    if (character === '"' || character === '\\') out += `\\${character}`;
    else if (character === '\n') out += '\\n';
    else if (character === '\r') out += '\\r';
    else if (character === '\t') out += '\\t';
    else if (character === '\b') out += '\\b';
    else if (character === '\f') out += '\\f';
    else if (code < 0x20 || character === '<' || character === '>' || character === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // a lone surrogate is not UTF-8: Go writes the replacement character
      out += '\\ufffd';
    } else out += character;
  }
  return `${out}"`;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
