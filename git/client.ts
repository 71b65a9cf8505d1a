// The git operations a GitRepository needs, through simple-git and the real git binary:
// list the remote's refs (cheap: tells the revision without cloning), and check out one
// commit shallowly into a folder.
import { lstat, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { RemoteRefs } from '../domain/git-ref.js';
import type { GitCredentials } from './credentials.js';
import { classifyGitError, GitError, GitFailure } from './errors.js';

export interface GitOptions {
  credentials: GitCredentials;
  /** milliseconds for the whole operation (spec.timeout) */
  timeoutMs: number;
  /** stops git when aborted: the activity was cancelled */
  signal?: AbortSignal;
}

function git(baseDir: string | undefined, options: GitOptions): { client: SimpleGit; failure(error: unknown, url: string): GitError } {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const client = simpleGit({
    baseDir,
    abort: options.signal ? AbortSignal.any([deadline, options.signal]) : deadline,
    maxConcurrentProcesses: 1,
    // simple-git blocks these environment settings unless allowed; ours come from
    // prepareCredentials alone (file paths we created), never from the object's spec.
    unsafe: { allowUnsafeSshCommand: true, allowUnsafeConfigEnvCount: true, allowUnsafeConfigPaths: true, allowUnsafeAskPass: true },
  });
  // Only what git needs: no inherited GIT_* variables, no secrets beyond these, and the
  // worker's proxy settings, as Flux's controllers honour HTTPS_PROXY and NO_PROXY.
  client.env({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...proxyEnvironment(process.env), ...options.credentials.env });
  return {
    client,
    failure(error, url) {
      if (deadline.aborted) return new GitError(`timeout of ${options.timeoutMs / 1000}s exceeded talking to ${url} (spec.timeout)`, GitFailure.Unreachable);
      if (options.signal?.aborted) return new GitError(`git operation on ${url} cancelled`, GitFailure.Other);
      return classifyGitError(error, url);
    },
  };
}

/**
 * The worker's proxy variables as git's libcurl reads them. Go (Flux) takes HTTP_PROXY
 * and http_proxy alike; libcurl only the lower-case `http_proxy`, so it is given that too.
 */
export function proxyEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of ['http_proxy', 'https_proxy', 'no_proxy', 'all_proxy']) {
    const value = env[name] ?? env[name.toUpperCase()];
    if (value) result[name] = value;
  }
  return result;
}

export async function listRemoteRefs(url: string, options: GitOptions): Promise<RemoteRefs> {
  const { client, failure } = git(undefined, options);
  let output: string;
  try {
    output = await client.listRemote([url]);
  } catch (error) {
    throw failure(error, url);
  }
  const refs = new Map<string, string>();
  for (const line of output.split('\n')) {
    const [commit, name] = line.split('\t');
    if (commit && name) refs.set(name.trim(), commit.trim());
  }
  return refs;
}

export interface CheckoutRequest {
  url: string;
  commit: string;
  /** the ref to fetch (`refs/heads/main`); the commit itself when absent */
  fetchRef?: string;
  recurseSubmodules?: boolean;
  /** check out only these directories (spec.sparseCheckout) */
  sparseCheckout?: readonly string[];
}

/**
 * Git's sparse-checkout patterns for Flux's directories. Flux (go-git) keeps each index
 * entry whose path starts with one of them, as a string prefix, and nothing else, not
 * even files at the root; `/<dir>*` in git's non-cone mode selects the same entries.
 */
export function sparseCheckoutPatterns(dirs: readonly string[]): string {
  return dirs.map((dir) => `/${dir.replace(/[\\*?[\]]/g, (special) => `\\${special}`)}*\n`).join('');
}

/** Fetches one commit (depth 1) into `dir`, a new or empty folder, and checks it out. */
export async function checkoutCommit(dir: string, request: CheckoutRequest, options: GitOptions): Promise<void> {
  const { url, commit, fetchRef, recurseSubmodules, sparseCheckout } = request;
  await mkdir(dir, { recursive: true });
  const { client, failure: classify } = git(dir, options);
  try {
    await client.init();
    if (sparseCheckout?.length) {
      await client.addConfig('core.sparseCheckout', 'true');
      await mkdir(join(dir, '.git', 'info'), { recursive: true });
      await writeFile(join(dir, '.git', 'info', 'sparse-checkout'), sparseCheckoutPatterns(sparseCheckout));
    }
    await client.fetch(url, fetchRef ?? commit, ['--depth=1', '--no-tags']);
    const fetched = (await client.revparse(['FETCH_HEAD'])).trim();
    if (fetched !== commit) {
      // The ref moved between listing and fetching; fetch the listed commit itself.
      await client.fetch(url, commit, ['--depth=1', '--no-tags']);
    }
    await client.checkout(['--detach', commit]);
    if (recurseSubmodules) await client.subModule(['update', '--init', '--recursive', '--depth=1']);
    for (const sparseDir of sparseCheckout ?? []) {
      if (!(await lstat(join(dir, sparseDir)).catch(() => undefined))) {
        throw new GitError(`failed to sparse checkout directories : sparse checkout dir '${sparseDir}' does not exist in repository`, GitFailure.Other);
      }
    }
  } catch (error) {
    const failure = classify(error, url);
    if (failure.failure === GitFailure.Other && /reference is not a tree|unadvertised object|not our ref/.test(failure.message)) {
      throw new GitError(`commit ${commit} not found in ${url}`, GitFailure.RefNotFound);
    }
    throw failure;
  }
}

/** The full message of a commit checked out in `dir`. */
export async function commitMessage(dir: string, commit: string): Promise<string> {
  return simpleGit({ baseDir: dir }).raw(['log', '-1', '--format=%B', commit]);
}
