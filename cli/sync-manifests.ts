// What `bootstrap git` puts in the cluster, as Flux writes it to gotk-sync.yaml: the
// namespace, a GitRepository for the repository (every `interval`) and the root
// Kustomization of `path` (every 10m, prune on), plus the Secret git authenticates with.
import type { KubernetesObject } from '../kube/objects.js';
import { apiVersionOf } from '../kube/flux-kinds.js';

export interface SyncOptions {
  name: string;
  namespace: string;
  url: string;
  branch: string;
  path: string;
  /** the GitRepository's interval, as a Go duration */
  interval: string;
  /** the auth Secret's name, when there is one */
  secretName?: string;
}

/** `clusters/prod`, `./clusters/prod/`, `/clusters/prod` all become `./clusters/prod`; the root is `./`. */
export function syncPath(path: string): string {
  const trimmed = path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  return trimmed === '' || trimmed === '.' ? './' : `./${trimmed}`;
}

export function syncManifests(options: SyncOptions): KubernetesObject[] {
  const metadata = { name: options.name, namespace: options.namespace };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.namespace } },
    {
      apiVersion: apiVersionOf('GitRepository'),
      kind: 'GitRepository',
      metadata,
      spec: {
        interval: options.interval,
        ref: { branch: options.branch },
        ...(options.secretName ? { secretRef: { name: options.secretName } } : {}),
        url: options.url,
      },
    },
    {
      apiVersion: apiVersionOf('Kustomization'),
      kind: 'Kustomization',
      metadata,
      spec: {
        interval: '10m0s',
        path: syncPath(options.path),
        prune: true,
        sourceRef: { kind: 'GitRepository', name: options.name },
      },
    },
  ];
}

/** The Secret a GitRepository's secretRef names: `identity` and `known_hosts` for SSH, `username` and `password` for HTTPS. */
export function gitAuthSecret(metadata: { name: string; namespace: string }, data: Record<string, string>): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  };
}

export const UrlScheme = { Ssh: 'ssh', Http: 'http', File: 'file' } as const;
export type UrlScheme = (typeof UrlScheme)[keyof typeof UrlScheme];

/** The kind of a repository URL, or undefined for one a GitRepository does not take. */
export function urlScheme(url: string): UrlScheme | undefined {
  if (url.startsWith('ssh://')) return UrlScheme.Ssh;
  if (url.startsWith('https://') || url.startsWith('http://')) return UrlScheme.Http;
  if (url.startsWith('file://')) return UrlScheme.File;
  return undefined;
}
