// A local Kubernetes cluster: a real control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler) run by kwokctl's binary runtime, with kwok
// simulating nodes so that Pods run and Deployments become Available.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { kubernetesVersion, requireBinary } from '../tools/paths.js';
import { freePort } from './process.js';

const run = promisify(execFile);

export interface KwokCluster {
  readonly name: string;
  readonly kubeconfigPath: string;
  readonly apiServerUrl: string;
  scaleNodes(replicas: number): Promise<void>;
  /** deletes the cluster and stops every process of it */
  stop(): Promise<void>;
}

export interface KwokClusterOptions {
  name: string;
  /** folder for kwokctl's state and the cluster's kubeconfig */
  workdir: string;
  nodes?: number;
  apiServerPort?: number;
}

export async function createKwokCluster(options: KwokClusterOptions): Promise<KwokCluster> {
  const kwokctl = requireBinary('kwokctl');
  mkdirSync(options.workdir, { recursive: true });
  const configPath = join(options.workdir, 'kwokctl.yaml');
  const kubeconfigPath = join(options.workdir, 'kubeconfig.yaml');
  const apiServerPort = options.apiServerPort ?? (await freePort());
  writeFileSync(configPath, kwokctlConfiguration());
  // Our own config and workdir only: the user's ~/.kwok and ~/.kube stay untouched.
  const env = { ...process.env, KWOK_WORKDIR: options.workdir };
  const kwok = async (...args: string[]) => {
    try {
      return await run(kwokctl, ['--config', configPath, '--name', options.name, ...args], { env, maxBuffer: 16 << 20 });
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      throw new Error(`kwokctl ${args.slice(0, 2).join(' ')} failed for cluster ${options.name}: ${failure.stderr?.trim() || failure.message}`, {
        cause: error,
      });
    }
  };

  // A cluster of the same name left by an earlier run that did not stop cleanly.
  await kwok('delete', 'cluster').catch(() => undefined);
  await kwok(
    'create', 'cluster',
    '--runtime', 'binary',
    '--kube-apiserver-port', String(apiServerPort),
    '--kubeconfig', kubeconfigPath,
    '--wait', '120s',
  );
  const cluster: KwokCluster = {
    name: options.name,
    kubeconfigPath,
    apiServerUrl: `https://127.0.0.1:${apiServerPort}`,
    async scaleNodes(replicas) {
      await kwok('scale', 'node', '--replicas', String(replicas));
    },
    async stop() {
      await kwok('delete', 'cluster');
    },
  };
  try {
    if (options.nodes) await cluster.scaleNodes(options.nodes);
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
  return cluster;
}

const arg = (key: string, value: string) => ({ key, value, override: false });

function kwokctlConfiguration(): string {
  return stringify({
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokctlConfiguration',
    options: {
      runtime: 'binary',
      kubeVersion: kubernetesVersion(),
      bindAddress: '127.0.0.1',
      etcdBinary: requireBinary('etcd'),
      kubeApiserverBinary: requireBinary('kube-apiserver'),
      kubeControllerManagerBinary: requireBinary('kube-controller-manager'),
      kubeSchedulerBinary: requireBinary('kube-scheduler'),
      kwokControllerBinary: requireBinary('kwok'),
      kubectlBinary: requireBinary('kubectl'),
    },
    componentsPatches: [
      // The API server's default Service range is a /24: 254 Services, fewer than a fleet
      // (or the benchmark) creates. A /16 as clusters usually have.
      { name: 'kube-apiserver', extraArgs: [arg('service-cluster-ip-range', '10.96.0.0/16')] },
      // At its default 20 requests a second the controller-manager alone takes minutes to
      // roll out hundreds of Deployments created at once; a real cluster's is tuned too.
      { name: 'kube-controller-manager', extraArgs: [arg('kube-api-qps', '200'), arg('kube-api-burst', '400'), arg('concurrent-deployment-syncs', '20'), arg('concurrent-replicaset-syncs', '20')] },
    ],
  });
}
