// Driving the real `helm` (v3, Secret storage, so `helm list/history/get` agree with the
// HelmRelease's status): one invocation per action, with the release's own kubeconfig,
// identity and private Helm folders, the activity's cancellation, and Helm's error text
// without the CLI's prefixes ("Error: INSTALLATION FAILED: ").
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool, ToolFailure } from '../common/tool-runner.js';
import { requireBinary } from '../tools/paths.js';

/** How a release's helm reaches its cluster. */
export interface HelmConnection {
  /** a kubeconfig file (0600, in the reconcile's workspace) */
  kubeconfigPath: string;
  /** `system:serviceaccount:<ns>:<name>` for spec.serviceAccountName */
  impersonate?: string;
  /** folder for Helm's cache, config and data */
  home: string;
}

export class HelmFailure extends Error {
  override readonly name = 'HelmFailure';
  constructor(
    message: string,
    /** the release is not in storage */
    readonly notFound = false,
  ) {
    super(message);
  }
}

/** Writes the kubeconfig text where helm will read it, readable by this user only. */
export async function writeKubeconfig(dir: string, content: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'kubeconfig');
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

/** Runs helm with `args` for the release's cluster; its stdout. */
export async function helm(connection: HelmConnection, args: readonly string[], signal?: AbortSignal): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HELM_CACHE_HOME: join(connection.home, 'cache'),
    HELM_CONFIG_HOME: join(connection.home, 'config'),
    HELM_DATA_HOME: join(connection.home, 'data'),
    HELM_DRIVER: 'secret',
    KUBECONFIG: connection.kubeconfigPath,
  };
  const identity = connection.impersonate ? ['--kube-as-user', connection.impersonate] : [];
  try {
    const { stdout } = await runTool(requireBinary('helm'), [...args, ...identity], { env, signal, maxBuffer: 256 << 20 });
    return stdout;
  } catch (error) {
    if (!(error instanceof ToolFailure)) throw error;
    const text = helmError(error.stderr) || error.message;
    throw new HelmFailure(text, /release: not found/.test(text));
  }
}

/** Helm's own error, the CLI's `Error: ` and action prefixes taken off, warnings left out. */
export function helmError(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '' && !/^(WARNING|walk\.go|coalesce\.go)/.test(line));
  const at = lines.findIndex((line) => line.startsWith('Error: '));
  // A post-renderer's own words follow helm's line about it: keep them, not the program's path.
  // Helm's multi-error ("1 error occurred:" then "\t* job x failed: ...") goes on indented lines.
  const continued = at < 0 ? 0 : lines.slice(at + 1).findIndex((line) => !/^[\t ]/.test(line));
  const error =
    at < 0 ? (lines.at(-1) ?? '') : /error while running post render/.test(lines[at]!) ? lines.slice(at).join('\n') : lines.slice(at, continued < 0 ? undefined : at + 1 + continued).join('\n');
  return error
    .replace(/^Error: /, '')
    .replace(/^(INSTALLATION|UPGRADE|ROLLBACK|UNINSTALLATION) FAILED: /, '')
    .replace(/error while running command \S+\. error output:\n([\s\S]*?)\n?: exit status \d+$/, '$1');
}
