// Where each external binary lives: the KIMBERNETES_<TOOL>_BIN variable when a user
// points at one they already have, else the versioned cache that build-tools.sh fills.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { projectFile } from '../common/project-files.js';

const versionsFile = projectFile('tools', 'versions.env');

export function readVersions(text = readFileSync(versionsFile, 'utf8')): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z_]+)=(\S+)\s*$/.exec(line);
    if (match) versions[match[1]!] = match[2]!;
  }
  return versions;
}

/** Each binary, the cache folder it is built into, and the version that names that folder. */
const binaries = {
  temporal: { folder: 'temporal', version: 'TEMPORAL_CLI_VERSION' },
  etcd: { folder: 'etcd', version: 'ETCD_VERSION' },
  'kube-apiserver': { folder: 'kubernetes', version: 'KUBERNETES_VERSION' },
  'kube-controller-manager': { folder: 'kubernetes', version: 'KUBERNETES_VERSION' },
  'kube-scheduler': { folder: 'kubernetes', version: 'KUBERNETES_VERSION' },
  kubectl: { folder: 'kubernetes', version: 'KUBERNETES_VERSION' },
  kwok: { folder: 'kwok', version: 'KWOK_VERSION' },
  kwokctl: { folder: 'kwok', version: 'KWOK_VERSION' },
  kustomize: { folder: 'kustomize', version: 'KUSTOMIZE_VERSION' },
  helm: { folder: 'helm', version: 'HELM_VERSION' },
  crane: { folder: 'crane', version: 'CRANE_VERSION' },
  sops: { folder: 'sops', version: 'SOPS_VERSION' },
} as const;

export type Binary = keyof typeof binaries;

export function toolsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KIMBERNETES_TOOLS_DIR) return env.KIMBERNETES_TOOLS_DIR;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kimbernetes', 'tools');
}

export function overrideVariable(binary: Binary): string {
  return `KIMBERNETES_${binary.toUpperCase().replaceAll('-', '_')}_BIN`;
}

export function binaryPath(binary: Binary, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[overrideVariable(binary)];
  if (override) return override;
  const { folder, version } = binaries[binary];
  const versions = readVersions();
  return join(toolsCacheDir(env), `${folder}-${versions[version]}`, binary);
}

/** The path of a binary that must exist now; the error says how to get it. */
export function requireBinary(binary: Binary, env: NodeJS.ProcessEnv = process.env): string {
  const path = binaryPath(binary, env);
  if (!existsSync(path)) {
    throw new Error(
      `${binary} not found at ${path}: run \`npm run setup\` to build it, ` +
        `or set ${overrideVariable(binary)} to a ${binary} you already have`,
    );
  }
  return path;
}

export function kubernetesVersion(): string {
  return readVersions().KUBERNETES_VERSION!;
}
