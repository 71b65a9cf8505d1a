// `bootstrap git`: points the cluster at a repository as `flux bootstrap git` does: the
// namespace, the auth Secret, the GitRepository and the root Kustomization, applied
// server-side; then both reconcile and the command waits until they are Ready.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parseDuration } from '../../domain/duration.js';
import { requestedAtAnnotation } from '../../domain/watch-changes.js';
import { KubeError } from '../../kube/errors.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import { describeReference, referenceOf, type KubernetesObject } from '../../kube/objects.js';
import type { Invocation } from '../args.js';
import { cliFieldManager } from '../kinds.js';
import type { Command } from '../command.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { newRequestedAt } from '../reconcile-wait.js';
import { yamlDocuments } from '../terminal.js';
import { gitAuthSecret, syncManifests, urlScheme, UrlScheme } from '../sync-manifests.js';
import { reportReconcile, signalReconcile } from './reconcile.js';

const words = ['bootstrap', 'git'];

/** The known_hosts lines of an SSH URL's host, as ssh-keyscan reads them. */
async function scanHostKeys(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  try {
    const { stdout } = await promisify(execFile)('ssh-keyscan', ['-T', '10', '-p', port || '22', hostname]);
    if (stdout.trim() !== '') return stdout;
  } catch (error) {
    throw new CliError(`ssh-keyscan ${hostname}:${port || '22'} failed: ${(error as Error).message}`);
  }
  throw new CliError(`ssh-keyscan found no host key for ${hostname}:${port || '22'}`);
}

/** The auth Secret's data for the URL, from the flags; undefined when the repository needs none. */
async function authData(invocation: Invocation, url: string): Promise<Record<string, string> | undefined> {
  const scheme = urlScheme(url);
  const keyFile = invocation.string('private-key-file');
  const password = invocation.string('password');
  if (scheme === UrlScheme.Ssh) {
    if (!keyFile) throw new UsageError('--private-key-file is required for an ssh:// URL', words);
    let identity: string;
    try {
      identity = await readFile(keyFile, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read the private key file: ${(error as Error).message}`);
    }
    return { identity, known_hosts: await scanHostKeys(url) };
  }
  if (keyFile) throw new UsageError('--private-key-file needs an ssh:// URL', words);
  if (scheme === UrlScheme.Http && password !== undefined) return { username: invocation.string('username')!, password };
  return undefined;
}

async function apply(context: CliContext, object: KubernetesObject): Promise<void> {
  try {
    await (await context.kube()).apply(object, { fieldManager: cliFieldManager });
  } catch (error) {
    if (error instanceof KubeError && error.notFound && object.apiVersion.includes('.toolkit.fluxcd.io/')) {
      throw new CliError(`cannot create ${describeReference(referenceOf(object))}: the Flux CRDs are not installed; run 'kimbernetes install' first`);
    }
    throw error;
  }
}

async function bootstrap(context: CliContext, invocation: Invocation): Promise<ExitCode> {
  const url = invocation.required('url');
  if (!urlScheme(url)) throw new UsageError(`--url must be an ssh://, https://, http:// or file:// URL, got '${url}'`, words);
  const interval = invocation.string('interval')!;
  if (!parseDuration(interval)) throw new UsageError(`--interval must be a duration such as 1m, got '${interval}'`, words);
  const name = invocation.string('name')!;
  const namespace = context.namespace;
  const data = await authData(invocation, url);
  const manifests = syncManifests({ name, namespace, url, interval, branch: invocation.string('branch')!, path: invocation.string('path')!, ...(data ? { secretName: name } : {}) });
  if (invocation.flag('export')) {
    // What Flux commits to gotk-sync.yaml; the Secret never goes to Git.
    context.terminal.out(yamlDocuments(manifests));
    return ExitCode.Ok;
  }

  context.terminal.action('applying sync manifests');
  const [namespaceObject, gitRepository, kustomization] = manifests as [KubernetesObject, KubernetesObject, KubernetesObject];
  await apply(context, namespaceObject);
  if (data) await apply(context, gitAuthSecret({ name, namespace }, data));
  // The source first, the Kustomization once the source has an artifact: created together,
  // the Kustomization's first reconcile would fail for want of one.
  for (const object of [gitRepository, kustomization]) {
    const kind = object.kind as 'GitRepository' | 'Kustomization';
    const requestedAt = newRequestedAt(context.now());
    await apply(context, { ...object, metadata: { ...object.metadata, annotations: { [requestedAtAnnotation]: requestedAt } } });
    if (kind === 'Kustomization') context.terminal.success('reconciled sync configuration');
    const ref: FluxObjectRef = { kind, namespace, name };
    context.terminal.waiting(`waiting for ${kind} "${namespace}/${name}" to be reconciled`);
    await signalReconcile(context, ref, requestedAt);
    const code = await reportReconcile(context, ref, requestedAt);
    if (code !== ExitCode.Ok) return code;
  }
  context.terminal.success('bootstrap finished');
  return ExitCode.Ok;
}

export const bootstrapCommand: Command = {
  words: [['bootstrap'], ['git']],
  summary: 'point the cluster at a Git repository: namespace, auth Secret, GitRepository and root Kustomization, then wait until Ready',
  options: {
    url: { type: 'string', value: 'URL', description: 'the repository: ssh://, https://, http:// or file://' },
    branch: { type: 'string', value: 'NAME', description: 'the branch to follow', default: 'main' },
    path: { type: 'string', value: 'DIR', description: 'the folder of the root Kustomization in the repository', default: './' },
    'private-key-file': { type: 'string', value: 'FILE', description: 'the SSH private key (ssh:// URLs); known_hosts is read with ssh-keyscan' },
    username: { type: 'string', value: 'NAME', description: 'the HTTP(S) user name', default: 'git' },
    password: { type: 'string', value: 'SECRET', description: 'the HTTP(S) password or token' },
    interval: { type: 'string', value: 'DURATION', description: 'how often the GitRepository is fetched', default: '1m0s' },
    name: { type: 'string', value: 'NAME', description: 'the name of the GitRepository, Kustomization and Secret', default: 'flux-system' },
    export: { type: 'boolean', description: 'print the GitRepository and Kustomization (gotk-sync.yaml) instead of applying' },
  },
  examples: [
    'kimbernetes bootstrap git --url ssh://git@github.com/org/fleet --branch main --path clusters/prod --private-key-file ~/.ssh/fleet',
    'kimbernetes bootstrap git --url https://git.example/org/fleet --username bot --password "$TOKEN" --path clusters/prod',
  ],
  run: bootstrap,
};
