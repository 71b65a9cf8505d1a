// Connection settings for worker pools and the CLI, from flags first, then the
// environment (the same TEMPORAL_* variables the `temporal` CLI reads), then defaults.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allTaskQueues, isTaskQueue, type TaskQueue } from '../common/task-queues.js';

export interface TemporalSettings {
  address: string;
  namespace: string;
  tls?: {
    serverName?: string;
    caPath?: string;
    certPath?: string;
    keyPath?: string;
  };
  /** sent as a bearer token; never logged */
  apiKey?: string;
}

import { defaultRateLimit, type RateLimit } from '../kube/rate-limit.js';
import type { AccessFlags } from '../domain/access-flags.js';
import { parseDuration } from '../domain/duration.js';

export interface Settings {
  temporal: TemporalSettings;
  /** --kubeconfig; without it the client's default: KUBECONFIG, ~/.kube/config, in-cluster */
  kubeconfig?: string;
  pools: TaskQueue[];
  /** prefix of every task queue name, for several installations on one Temporal namespace */
  taskQueuePrefix: string;
  /** watch one namespace only (all when absent) */
  watchNamespace?: string;
  /** a workflow bundle made ahead of time (workers/bundle-workflows.ts); bundled at start when absent */
  workflowBundlePath?: string;
  /** the source-controller's artifact storage, named as Flux's flags name it */
  storage: { dir: string; listen: string; advertisedUrl?: string };
  /** the client-side limit on requests to the API server (Flux's --kube-api-qps, --kube-api-burst) */
  kubeApi: RateLimit;
  /** loops each pool keeps in memory between their workflow tasks (workers/pools.ts says why it is small) */
  maxCachedWorkflows?: number;
  /** Flux's --feature-gates, those Kimbernetes has, with Flux v2.7's defaults */
  featureGates: FeatureGates;
  /** Flux's --no-cross-namespace-refs, --default-service-account, --no-remote-bases, --sops-age-secret */
  access: AccessFlags;
  /** notification-controller's --rate-limit-interval: the same event is dispatched once in this window */
  rateLimitIntervalMs?: number;
  /** notification-controller's --receiver-addr: where Receivers' webhooks are served */
  receiverListen: string;
}

/** The feature gates of Flux's controllers that Kimbernetes has, and their defaults in Flux v2.7. */
const featureGateDefaults = {
  /** kustomize-controller: a postBuild `${var}` without a value fails the build instead of becoming empty */
  StrictPostBuildSubstitutions: false,
  /** kustomize-controller: a dependsOn readyExpr is checked in addition to the built-in readiness, not instead of it */
  AdditiveCELDependencyCheck: false,
};

export type FeatureGates = Record<keyof typeof featureGateDefaults, boolean>;

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** The flags that say how to reach Temporal; the CLI takes the same ones. */
export const temporalOptions = {
  'temporal-address': { type: 'string' },
  'temporal-namespace': { type: 'string' },
  tls: { type: 'boolean' },
  'tls-ca-path': { type: 'string' },
  'tls-cert-path': { type: 'string' },
  'tls-key-path': { type: 'string' },
  'tls-server-name': { type: 'string' },
} as const;

export type TemporalFlags = { [K in keyof typeof temporalOptions]?: (typeof temporalOptions)[K]['type'] extends 'boolean' ? boolean : string };

export const settingsOptions = {
  ...temporalOptions,
  kubeconfig: { type: 'string' },
  pool: { type: 'string', multiple: true },
  'task-queue-prefix': { type: 'string' },
  'watch-namespace': { type: 'string' },
  'workflow-bundle': { type: 'string' },
  'storage-path': { type: 'string' },
  'storage-addr': { type: 'string' },
  'storage-adv-addr': { type: 'string' },
  'kube-api-qps': { type: 'string' },
  'kube-api-burst': { type: 'string' },
  'max-cached-workflows': { type: 'string' },
  'feature-gates': { type: 'string', multiple: true },
  'no-cross-namespace-refs': { type: 'boolean' },
  'default-service-account': { type: 'string' },
  'no-remote-bases': { type: 'boolean' },
  'sops-age-secret': { type: 'string' },
  'rate-limit-interval': { type: 'string' },
  'receiver-addr': { type: 'string' },
} as const;

export function parseSettings(argv: string[], env: NodeJS.ProcessEnv): Settings {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: settingsOptions, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new SettingsError((error as Error).message);
  }
  const temporal = temporalSettings(values, env);
  const poolNames = values.pool ?? (env.KIMBERNETES_POOLS ? env.KIMBERNETES_POOLS.split(',') : [...allTaskQueues]);
  const pools = poolNames.map((name) => name.trim()).filter(Boolean);
  const unknown = pools.filter((name) => !isTaskQueue(name));
  if (unknown.length > 0) {
    throw new SettingsError(`unknown pool ${unknown.join(', ')}; pools are ${allTaskQueues.join(', ')}`);
  }
  return {
    temporal,
    kubeconfig: values.kubeconfig,
    pools: [...new Set(pools as TaskQueue[])],
    taskQueuePrefix: values['task-queue-prefix'] ?? env.KIMBERNETES_TASK_QUEUE_PREFIX ?? '',
    watchNamespace: values['watch-namespace'] ?? env.KIMBERNETES_WATCH_NAMESPACE,
    workflowBundlePath: values['workflow-bundle'] ?? env.KIMBERNETES_WORKFLOW_BUNDLE,
    storage: {
      dir: values['storage-path'] ?? env.KIMBERNETES_STORAGE_PATH ?? join(env.HOME ?? tmpdir(), '.cache', 'kimbernetes', 'artifacts'),
      listen: values['storage-addr'] ?? env.KIMBERNETES_STORAGE_ADDR ?? '127.0.0.1:9090',
      advertisedUrl: advertised(values['storage-adv-addr'] ?? env.KIMBERNETES_STORAGE_ADV_ADDR),
    },
    kubeApi: {
      qps: positiveNumber('--kube-api-qps', values['kube-api-qps'] ?? env.KIMBERNETES_KUBE_API_QPS, defaultRateLimit.qps),
      burst: positiveNumber('--kube-api-burst', values['kube-api-burst'] ?? env.KIMBERNETES_KUBE_API_BURST, defaultRateLimit.burst),
    },
    maxCachedWorkflows: optionalCount('--max-cached-workflows', values['max-cached-workflows'] ?? env.KIMBERNETES_MAX_CACHED_WORKFLOWS),
    featureGates: featureGates(values['feature-gates'] ?? (env.KIMBERNETES_FEATURE_GATES ? [env.KIMBERNETES_FEATURE_GATES] : [])),
    access: {
      noCrossNamespaceRefs: values['no-cross-namespace-refs'] ?? envFlag('KIMBERNETES_NO_CROSS_NAMESPACE_REFS', env),
      defaultServiceAccount: values['default-service-account'] ?? (env.KIMBERNETES_DEFAULT_SERVICE_ACCOUNT || undefined),
      noRemoteBases: values['no-remote-bases'] ?? envFlag('KIMBERNETES_NO_REMOTE_BASES', env),
      sopsAgeSecret: sopsAgeSecret(values['sops-age-secret'] ?? env.KIMBERNETES_SOPS_AGE_SECRET, env),
    },
    rateLimitIntervalMs: optionalDuration('--rate-limit-interval', values['rate-limit-interval'] ?? env.KIMBERNETES_RATE_LIMIT_INTERVAL),
    receiverListen: values['receiver-addr'] ?? env.KIMBERNETES_RECEIVER_ADDR ?? '127.0.0.1:9292',
  };
}

/** Flux's `--feature-gates=Name=true,Other=false` (repeatable), read as Flux reads it: Go's booleans, unknown gates refused. */
function featureGates(flags: string[]): FeatureGates {
  const gates: FeatureGates = { ...featureGateDefaults };
  for (const pair of flags.flatMap((flag) => flag.split(',')).map((pair) => pair.trim()).filter(Boolean)) {
    const equals = pair.indexOf('=');
    if (equals < 0) throw new SettingsError(`--feature-gates: malformed pair '${pair}', expect string=bool`);
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    const enabled = goBoolean(value);
    if (enabled === undefined) throw new SettingsError(`--feature-gates: invalid value of ${name}: ${value}`);
    if (!Object.hasOwn(gates, name)) throw new SettingsError(`feature-gate '${name}' not supported; supported: ${Object.keys(gates).join(', ')}`);
    gates[name as keyof FeatureGates] = enabled;
  }
  return gates;
}

/** Flux's --sops-age-secret names a Secret of the namespace the controller runs in, which its Deployment sets as RUNTIME_NAMESPACE. */
function sopsAgeSecret(name: string | undefined, env: NodeJS.ProcessEnv): AccessFlags['sopsAgeSecret'] {
  return name ? { namespace: env.RUNTIME_NAMESPACE || 'flux-system', name } : undefined;
}

/** A boolean setting from the environment, read as Go reads booleans; absent is false. */
function envFlag(name: string, env: NodeJS.ProcessEnv): boolean {
  const value = env[name];
  if (value === undefined || value === '') return false;
  const parsed = goBoolean(value);
  if (parsed === undefined) throw new SettingsError(`${name}: expected true or false, got '${value}'`);
  return parsed;
}

/** Go's strconv.ParseBool. */
function goBoolean(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

function optionalDuration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw new SettingsError(`${flag} must be a duration such as 5m or 30s, got '${value}'`);
  return ms;
}

function optionalCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 10) throw new SettingsError(`${flag} must be a whole number of at least 10, got '${value}'`);
  return number;
}

function positiveNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!(number > 0)) throw new SettingsError(`${flag} must be a number above 0, got '${value}'`);
  return number;
}

/** Where Temporal is, from the flags of `temporalOptions`, then TEMPORAL_* variables, then defaults. */
export function temporalSettings(values: TemporalFlags, env: NodeJS.ProcessEnv): TemporalSettings {
  const tlsFiles = {
    caPath: values['tls-ca-path'] ?? env.TEMPORAL_TLS_CA,
    certPath: values['tls-cert-path'] ?? env.TEMPORAL_TLS_CERT,
    keyPath: values['tls-key-path'] ?? env.TEMPORAL_TLS_KEY,
    serverName: values['tls-server-name'] ?? env.TEMPORAL_TLS_SERVER_NAME,
  };
  if (Boolean(tlsFiles.certPath) !== Boolean(tlsFiles.keyPath)) {
    throw new SettingsError('--tls-cert-path and --tls-key-path (TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY) must be given together');
  }
  const tlsWanted = values.tls ?? (env.TEMPORAL_TLS === 'true' || Object.values(tlsFiles).some(Boolean));
  const temporal: TemporalSettings = {
    address: values['temporal-address'] ?? env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: values['temporal-namespace'] ?? env.TEMPORAL_NAMESPACE ?? 'default',
  };
  if (tlsWanted) temporal.tls = withoutUndefined(tlsFiles);
  if (env.TEMPORAL_API_KEY) temporal.apiKey = env.TEMPORAL_API_KEY;
  return temporal;
}

/** Flux's --storage-adv-addr is a host[:port]; a full URL is accepted too. */
function advertised(address: string | undefined): string | undefined {
  if (!address) return undefined;
  return /^https?:\/\//.test(address) ? address : `http://${address}`;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
