// The real helm, as a user runs it against the test cluster: `helm list`, `history` and
// `get` read the same storage the HelmReleases' releases are in. Helm's home folders are
// the test's own, so no registry login or cache of the user's is read or written.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { requireBinary } from '../../tools/paths.js';
import { sharedEnvironment } from './shared-environment.js';

export interface HelmRunOptions {
  /** where helm keeps its cache, config and data; the tests' shared folders by default */
  home?: string;
  /** the shared cluster's kubeconfig unless false (a registry push needs no cluster) */
  cluster?: boolean;
}

export type HelmRun = (...args: string[]) => string;

/** The environment helm runs in, for a test that starts it itself. */
export function helmEnvironment({ home = '/tmp/helm-test', cluster = true }: HelmRunOptions = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...(cluster ? { KUBECONFIG: sharedEnvironment().kubeconfigPath } : {}),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
}

export function helmRunner(options: HelmRunOptions = {}): HelmRun {
  const env = helmEnvironment(options);
  return (...args) => execFileSync(requireBinary('helm'), args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env });
}

export interface HelmRevision {
  revision: number;
  status: string;
  description: string;
}

/** `helm history` of a release, oldest first. */
export function helmHistory(helm: HelmRun, name: string, namespace: string): HelmRevision[] {
  return JSON.parse(helm('history', name, '--namespace', namespace, '--output', 'json')) as HelmRevision[];
}

export interface HelmListed {
  name: string;
  namespace: string;
  revision: string;
  status: string;
  chart: string;
}

/** `helm list --all` in a namespace: every release, whatever its status. */
export function helmList(helm: HelmRun, namespace: string): HelmListed[] {
  return JSON.parse(helm('list', '--namespace', namespace, '--all', '--output', 'json')) as HelmListed[];
}

/** A HelmRelease of the test chart `demo` 1.0.0 from the HelmRepository `charts`, with `spec` laid over it. */
export function demoRelease(namespace: string, name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name, namespace },
    spec: { interval: '1h', chart: { spec: { chart: 'demo', version: '1.0.0', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, ...spec },
  };
}
