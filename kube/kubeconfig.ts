// The current context of a kubeconfig as an endpoint for kube/rest.ts, read without the
// client library (whose load alone takes longer than the CLI's whole answer should).
// Files are found and merged as kubectl does: the KUBECONFIG list (the first file to name
// a context, cluster or user wins), else ~/.kube/config, else the pod's service account.
// Credentials this reader does not handle (exec plugins, auth providers, impersonation,
// proxies) are left to the library: the answer then says `needsLibrary`.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { KubeEndpoint } from './rest.js';

interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

interface UserEntry {
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
  as?: string;
  'as-groups'?: unknown;
}

/** One kubeconfig file, parsed, with the folder its relative paths are read from. */
export interface KubeconfigFile {
  folder: string;
  config: {
    'current-context'?: string;
    contexts?: { name: string; context?: { cluster?: string; user?: string } }[];
    clusters?: { name: string; cluster?: ClusterEntry }[];
    users?: { name: string; user?: UserEntry }[];
  };
}

export type KubeconfigEndpoint = { endpoint: KubeEndpoint } | { needsLibrary: string };

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The endpoint of `context` (else the current context) of the kubeconfig the client
 * library would load: `path` when given, else as kubectl finds it.
 */
export function readKubeconfigEndpoint(path: string | undefined, context: string | undefined, env: NodeJS.ProcessEnv): KubeconfigEndpoint {
  const paths = path ? [path] : kubeconfigPaths(env);
  if (paths.length === 0) return inClusterEndpoint(env);
  const files = paths.map((file): KubeconfigFile => {
    const text = readFileSync(file, 'utf8');
    return { folder: dirname(file), config: (parse(text) ?? {}) as KubeconfigFile['config'] };
  });
  return endpointOf(files, context);
}

/** The KUBECONFIG list's files that exist (kubectl skips missing ones), else ~/.kube/config when it exists. */
function kubeconfigPaths(env: NodeJS.ProcessEnv): string[] {
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((file) => file !== '' && existsSync(file));
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

/** The context's cluster and user, merged across `files` (the first file to name one wins), as an endpoint. */
export function endpointOf(files: readonly KubeconfigFile[], context?: string): KubeconfigEndpoint {
  const contextName = context ?? files.find((file) => file.config['current-context'])?.config['current-context'];
  if (!contextName) throw new KubeconfigError('the kubeconfig has no current context');
  const found = first(files, (file) => file.config.contexts?.find((entry) => entry.name === contextName));
  if (!found) throw new KubeconfigError(`context '${contextName}' not found in the kubeconfig`);
  const clusterName = found.entry.context?.cluster;
  const userName = found.entry.context?.user;
  const cluster = first(files, (file) => file.config.clusters?.find((entry) => entry.name === clusterName));
  if (!cluster?.entry.cluster?.server) throw new KubeconfigError(`cluster '${clusterName ?? ''}' of context '${contextName}' not found in the kubeconfig`);
  const user = userName === undefined ? undefined : first(files, (file) => file.config.users?.find((entry) => entry.name === userName));
  const credentials = user?.entry.user ?? {};
  const unsupported = (['exec', 'auth-provider', 'as', 'as-groups'] as const).find((field) => credentials[field] !== undefined);
  if (unsupported) return { needsLibrary: `user '${userName}' has ${unsupported}` };
  if (cluster.entry.cluster['proxy-url']) return { needsLibrary: `cluster '${clusterName}' has proxy-url` };

  const server = cluster.entry.cluster;
  const material = (data: string | undefined, file: string | undefined, folder: string) =>
    data !== undefined ? Buffer.from(data, 'base64') : file !== undefined ? readFileSync(resolveIn(folder, file)) : undefined;
  const headers: Record<string, string> = {};
  const token = credentials.token ?? (credentials.tokenFile !== undefined ? readFileSync(resolveIn(user!.file.folder, credentials.tokenFile), 'utf8').trim() : undefined);
  if (token) headers.Authorization = `Bearer ${token}`;
  else if (credentials.username !== undefined) headers.Authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64')}`;
  return {
    endpoint: {
      server: server.server!,
      options: {
        ca: server['insecure-skip-tls-verify'] ? undefined : material(server['certificate-authority-data'], server['certificate-authority'], cluster.file.folder),
        cert: user && material(credentials['client-certificate-data'], credentials['client-certificate'], user.file.folder),
        key: user && material(credentials['client-key-data'], credentials['client-key'], user.file.folder),
        rejectUnauthorized: !server['insecure-skip-tls-verify'],
        servername: server['tls-server-name'],
        headers,
      },
    },
  };
}

/** The pod's own service account, as the client library reads it in a cluster; a local API server otherwise. */
function inClusterEndpoint(env: NodeJS.ProcessEnv): KubeconfigEndpoint {
  const host = env.KUBERNETES_SERVICE_HOST;
  const tokenFile = join(serviceAccountDir, 'token');
  if (!host || !existsSync(tokenFile)) return { endpoint: { server: 'http://localhost:8080', options: {} } };
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
  return {
    endpoint: {
      server,
      options: { ca: readFileSync(join(serviceAccountDir, 'ca.crt')), headers: { Authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` } },
    },
  };
}

function first<T>(files: readonly KubeconfigFile[], find: (file: KubeconfigFile) => T | undefined): { file: KubeconfigFile; entry: T } | undefined {
  for (const file of files) {
    const entry = find(file);
    if (entry !== undefined) return { file, entry };
  }
  return undefined;
}

function resolveIn(folder: string, file: string): string {
  return isAbsolute(file) ? file : join(folder, file);
}
