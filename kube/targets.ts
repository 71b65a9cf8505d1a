// The cluster a Kustomization applies to, and as whom. By default: the cluster the
// worker runs against, with the worker's own identity. `spec.serviceAccountName`
// impersonates that ServiceAccount of the Kustomization's namespace, so a tenant's
// Kustomization can do no more than its ServiceAccount may; `spec.kubeConfig.secretRef`
// names a Secret holding a kubeconfig for a remote cluster (impersonation then applies
// there). Sources, substitution and decryption Secrets are always read locally.
import { createHash } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { FailureType, type TypedFailure } from '../common/failures.js';
import { parse } from 'yaml';
import { createKubeClient, reusingConnections, type KubeClient } from './client.js';
import { createTokenBucket, defaultRateLimit, type RateLimit } from './rate-limit.js';
import { createObjectWatches, type LiveObjects, type ObjectWatches } from './object-watches.js';

export interface ClusterTarget {
  /** the Kustomization's namespace: where its ServiceAccount and kubeconfig Secret live */
  namespace: string;
  serviceAccountName?: string;
  kubeConfig?: { secretName: string; key?: string };
}

/** A target that cannot be reached as configured; retrying without a change will not help. */
export class ClusterTargetError extends Error implements TypedFailure {
  override readonly name = 'ClusterTargetError';
  readonly failureType = FailureType.ClusterTarget;
  readonly retryable = false;
}

export interface ClusterTargets {
  /** the worker's own cluster and identity */
  local: KubeClient;
  clientFor(target: ClusterTarget): Promise<KubeClient>;
  /** the target's objects as its watches see them, for health checks */
  liveObjectsFor(target: ClusterTarget): Promise<LiveObjects>;
  /** stops the watches */
  close(): void;
}

type ReadSecret = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

const cacheSize = 64;

export function createClusterTargets(deps: {
  kubeConfig: KubeConfig;
  readSecret: ReadSecret;
  rateLimit?: RateLimit;
  /** the worker's own cluster's rate limit, when other clients share it */
  localThrottle?: () => Promise<void>;
}): ClusterTargets {
  const rateLimit = deps.rateLimit ?? defaultRateLimit;
  const localThrottle = deps.localThrottle ?? createTokenBucket(rateLimit);
  const local = connect(deps.kubeConfig, localThrottle);
  // Clients cache what they discovered about the API server, and watches what they saw:
  // both are kept per target (cluster and identity).
  const connections = new Map<string, TargetConnection>();
  const remoteThrottles = new Map<string, () => Promise<void>>();

  function cached(key: string, make: () => TargetConnection): TargetConnection {
    let connection = connections.get(key);
    if (connection) {
      connections.delete(key); // re-insert: most recently used last
    } else {
      connection = make();
      if (connections.size >= cacheSize) {
        const [oldestKey, oldest] = connections.entries().next().value!;
        oldest.close();
        connections.delete(oldestKey);
      }
    }
    connections.set(key, connection);
    return connection;
  }

  async function connectionFor(target: ClusterTarget): Promise<TargetConnection> {
    const user = target.serviceAccountName ? `system:serviceaccount:${target.namespace}:${target.serviceAccountName}` : undefined;
    if (!target.kubeConfig) {
      if (!user) return local;
      return cached(`local|${user}`, () => connect(impersonating(deps.kubeConfig, user), localThrottle));
    }
    const { secretName, key } = target.kubeConfig;
    const data = await deps.readSecret(target.namespace, secretName);
    const where = `kubeconfig Secret '${target.namespace}/${secretName}'`;
    if (!data) throw new ClusterTargetError(`${where} not found`);
    const text = key ? data[key] : (data.value ?? data['value.yaml']);
    if (!text) throw new ClusterTargetError(`${where} has no key '${key ?? 'value'}'${key ? '' : " or 'value.yaml'"}`);
    const digest = createHash('sha256').update(text).digest('hex');
    let throttle = remoteThrottles.get(digest);
    if (!throttle) remoteThrottles.set(digest, (throttle = createTokenBucket(rateLimit)));
    const remote = remoteKubeConfig(text, where);
    return cached(`${digest}|${user ?? ''}`, () => connect(user ? impersonating(remote, user) : remote, throttle));
  }

  return {
    local: local.client,
    clientFor: async (target) => (await connectionFor(target)).client,
    liveObjectsFor: async (target) => (await connectionFor(target)).live(),
    close() {
      local.close();
      for (const connection of connections.values()) connection.close();
      connections.clear();
    },
  };
}

/** A client of one target, and its watches, started when a health check first asks. */
interface TargetConnection {
  client: KubeClient;
  live(): ObjectWatches;
  close(): void;
}

function connect(config: KubeConfig, throttle: () => Promise<void>): TargetConnection {
  const client = createKubeClient(config, { throttle });
  let watches: ObjectWatches | undefined;
  return {
    client,
    live: () => (watches ??= createObjectWatches(config, client, { throttle })),
    close: () => watches?.close(),
  };
}

/**
 * A kubeconfig from a Secret. Credentials that run a program or read the worker's own
 * files (exec and auth plugins, certificate and token files) are refused: they would
 * let whoever writes the Secret act as the worker.
 */
export function remoteKubeConfig(text: string, where: string): KubeConfig {
  let document: { users?: { name?: string; user?: Record<string, unknown> }[]; clusters?: { cluster?: Record<string, unknown> }[] };
  try {
    document = (parse(text) ?? {}) as typeof document;
  } catch (error) {
    throw new ClusterTargetError(`${where}: invalid kubeconfig: ${(error as Error).message}`);
  }
  for (const { name, user = {} } of document.users ?? []) {
    const refused = ['exec', 'auth-provider', 'client-certificate', 'client-key', 'tokenFile'].find((field) => user[field] !== undefined);
    if (refused) throw new ClusterTargetError(`${where}: user '${name ?? ''}' uses '${refused}', which a kubeconfig from a Secret may not`);
  }
  if ((document.clusters ?? []).some(({ cluster = {} }) => cluster['certificate-authority'] !== undefined)) {
    throw new ClusterTargetError(`${where}: a cluster uses 'certificate-authority' (a file); use 'certificate-authority-data'`);
  }
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
  } catch (error) {
    throw new ClusterTargetError(`${where}: invalid kubeconfig: ${(error as Error).message}`);
  }
  if (!config.getCurrentCluster()) throw new ClusterTargetError(`${where}: the kubeconfig names no current cluster`);
  return reusingConnections(config);
}

/** The same cluster and credentials, acting as `user` (the Impersonate-User header). */
function impersonating(config: KubeConfig, user: string): KubeConfig {
  const current = config.getCurrentUser();
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: config.clusters,
    users: config.users.map((entry) => (entry.name === current?.name ? { ...entry, impersonateUser: user } : entry)),
    contexts: config.contexts,
    currentContext: config.currentContext,
  });
  return reusingConnections(copy);
}
