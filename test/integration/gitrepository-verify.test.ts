// A GitRepository's spec.verify, sparseCheckout and proxySecretRef, reconciled by the
// real workers against the real API server: commits and tags signed by the real gpg
// and ssh-keygen, repositories served by git itself, a forward proxy in between. The
// expected key IDs come from the tools that made the keys; the messages are Flux's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { fetchArtifact } from '../../artifacts/fetch.js';
import { loadKubeConfig } from '../../kube/client.js';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { GitRepositoryStatus } from '../../domain/gitrepository-status.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { eventually } from '../harness/eventually.js';
import { git, newGitRoot, startForwardProxy, startHttpGitServer, TestRepository, type ForwardProxy, type HttpGitServer } from '../harness/git-servers.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { pgpSigningKey, sshSigningKey, type SigningKey } from '../harness/signing.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';

describe('GitRepository verification, sparse checkout and proxy', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let root: string;
  let pgp: SigningKey;
  let stranger: SigningKey;
  let ssh: SigningKey;
  let http: HttpGitServer;
  let proxy: ForwardProxy;
  const namespace = `verify-${uniqueSuffix()}`;
  const basic = { username: 'flux', password: 'git-pa55' };

  const refOf = (name: string) => ({ kind: 'GitRepository' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(refOf(name)))?.status ?? {}) as GitRepositoryStatus;
  const condition = (s: GitRepositoryStatus, type: string) => findCondition(s.conditions, type);
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const secret = (name: string, stringData: Record<string, string>): KubernetesObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData });
  const gitRepository = (name: string, spec: Record<string, unknown>): KubernetesObject => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace },
    spec: { interval: '1h', ...spec },
  });

  /** Applies the GitRepository, asks for a reconcile and waits until `done` holds of its status. */
  async function reconcile(name: string, spec: Record<string, unknown>, done: (s: GitRepositoryStatus) => boolean, what: string) {
    await apply(gitRepository(name, spec));
    await reconcileObject(workers.client, refOf(name), { taskQueuePrefix });
    return eventually(() => status(name), done, { what, timeoutMs: 60_000 });
  }

  async function artifactFiles(s: GitRepositoryStatus): Promise<string[]> {
    const dir = join(mkdtempSync(join(tmpdir(), 'artifact-')), 'source');
    await fetchArtifact(s.artifact!.url, s.artifact!.digest, dir);
    const list = (sub: string): string[] =>
      readdirSync(join(dir, sub), { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? list(join(sub, entry.name)) : [join(sub, entry.name)]));
    return list('').sort();
  }

  beforeAll(async () => {
    workers = await startTestWorkers('gitrepository-verify', [TaskQueue.Source]);
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    root = newGitRoot();
    pgp = pgpSigningKey('release');
    stranger = pgpSigningKey('stranger');
    ssh = sshSigningKey();
    http = await startHttpGitServer(root, basic);
    proxy = await startForwardProxy({ username: 'proxy-user', password: 'proxy-pa55' });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply(secret('trusted-keys', { 'release.asc': pgp.publicKey, 'ci.pub': ssh.publicKey }));
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await http?.stop();
    await proxy?.stop();
    for (const key of [pgp, stranger, ssh]) key?.dispose();
  });

  it('stores a commit signed by a trusted OpenPGP key and says which key signed it', async () => {
    const repository = new TestRepository(root, 'signed-pgp');
    const commit = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' }, 'signed', 'main', pgp);
    const spec = { url: repository.fileUrl, ref: { branch: 'main' }, verify: { mode: 'HEAD', secretRef: { name: 'trusted-keys' } } };
    const s = await reconcile('signed-pgp', spec, (x) => x.artifact?.revision === `main@sha1:${commit}`, 'verified artifact');
    expect(condition(s, 'SourceVerified')).toMatchObject({ status: 'True', reason: 'Succeeded', message: `verified signature of\n\t- commit '${commit}' with key '${pgp.keyId}'` });
    expect(s.sourceVerificationMode).toBe('HEAD');
    expect(condition(s, 'Ready')?.status).toBe('True');

    // The Web UI shows the check as a step of its own.
    const history = JSON.stringify(await fetchHistoryJson(`gitrepository/${namespace}/signed-pgp`, 'gitrepository-verify.json', { containing: 'GitRepository.verifySignature' }));
    expect(history).toContain('GitRepository.verifySignature');
  });

  it('refuses an unsigned commit and one signed by an untrusted key, keeping the verified artifact', async () => {
    const repository = new TestRepository(root, 'refused');
    const good = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' }, 'signed', 'main', pgp);
    const spec = { url: repository.fileUrl, ref: { branch: 'main' }, verify: { mode: 'HEAD', secretRef: { name: 'trusted-keys' } } };
    await reconcile('refused', spec, (x) => x.artifact?.revision === `main@sha1:${good}`, 'verified artifact');

    const unsigned = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap # unsigned\n' }, 'not signed');
    let s = await reconcile('refused', spec, (x) => condition(x, 'Ready')?.reason === 'InvalidCommitSignature', 'unsigned commit refused');
    const unsignedMessage = `signature verification of commit '${unsigned}' failed: unable to verify Git commit: unable to verify payload as the provided signature is empty`;
    expect(condition(s, 'Ready')).toMatchObject({ status: 'False', message: unsignedMessage });
    expect(condition(s, 'SourceVerified')).toMatchObject({ status: 'False', reason: 'InvalidCommitSignature', message: unsignedMessage });
    expect(s.artifact?.revision).toBe(`main@sha1:${good}`);

    const forged = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap # forged\n' }, 'signed by someone else', 'main', stranger);
    s = await reconcile('refused', spec, (x) => condition(x, 'Ready')?.message?.includes(forged) === true, 'untrusted key refused');
    expect(condition(s, 'Ready')?.message).toBe(`signature verification of commit '${forged}' failed: unable to verify Git commit: unable to verify payload with any of the given key rings`);
    expect(s.artifact?.revision).toBe(`main@sha1:${good}`);
    const events = await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace });
    expect(events.items.some((event) => event.type === 'Warning' && event.reason === 'InvalidCommitSignature')).toBe(true);

    // A trusted signature again: stored, and the failed check no longer shows.
    const fixed = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap # fixed\n' }, 'signed again', 'main', pgp);
    s = await reconcile('refused', spec, (x) => x.artifact?.revision === `main@sha1:${fixed}`, 'recovery');
    expect(condition(s, 'SourceVerified')?.status).toBe('True');
  });

  it('verifies an SSH-signed tag, then the tag and the commit, naming both keys', async () => {
    const repository = new TestRepository(root, 'tagged');
    const commit = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' }, 'release', 'main', pgp);
    repository.tag('v1.0.0', true, ssh);
    const tagObject = git(repository.work, 'rev-parse', 'v1.0.0');
    const spec = { url: repository.fileUrl, ref: { tag: 'v1.0.0' }, verify: { mode: 'Tag', secretRef: { name: 'trusted-keys' } } };
    let s = await reconcile('tagged', spec, (x) => condition(x, 'SourceVerified')?.status === 'True', 'verified tag');
    expect(condition(s, 'SourceVerified')?.message).toBe(`verified signature of\n\t- tag 'v1.0.0@${tagObject}' with key '${ssh.keyId}'`);
    expect(s.artifact?.revision).toBe(`v1.0.0@sha1:${commit}`);

    s = await reconcile('tagged', { ...spec, verify: { mode: 'TagAndHEAD', secretRef: { name: 'trusted-keys' } } }, (x) => x.sourceVerificationMode === 'TagAndHEAD', 'verified tag and commit');
    expect(condition(s, 'SourceVerified')?.message).toBe(
      `verified signature of\n\t- tag 'v1.0.0@${tagObject}' with key '${ssh.keyId}'\n\t- commit '${commit}' with key '${pgp.keyId}'`,
    );
  });

  it('stalls on a tag check without a tag, and names a missing key Secret', async () => {
    const repository = new TestRepository(root, 'no-tag');
    repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' }, 'signed', 'main', pgp);
    const spec = { url: repository.fileUrl, ref: { branch: 'main' }, verify: { mode: 'Tag', secretRef: { name: 'trusted-keys' } } };
    let s = await reconcile('no-tag', spec, (x) => condition(x, 'Ready')?.reason === 'InvalidVerificationMode', 'tag mode on a branch');
    expect(condition(s, 'Ready')?.message).toBe("cannot verify tag object's signature if a tag reference is not specified");
    expect(condition(s, 'Stalled')?.status).toBe('True');

    s = await reconcile('no-tag', { ...spec, verify: { mode: 'HEAD', secretRef: { name: 'no-such-keys' } } }, (x) => condition(x, 'Ready')?.reason === 'VerificationError', 'missing key Secret');
    expect(condition(s, 'Ready')?.message).toBe('PGP public keys secret error: secrets "no-such-keys" not found');
  });

  it('checks out only the directories of sparseCheckout, and says which one is missing', async () => {
    const repository = new TestRepository(root, 'sparse');
    repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n', 'apps-extra/x.yaml': 'kind: X\n', 'infra/db.yaml': 'kind: Db\n', 'README.md': '# fleet\n' });
    const spec = { url: repository.fileUrl, ref: { branch: 'main' }, sparseCheckout: ['./infra', 'apps/'] };
    let s = await reconcile('sparse', spec, (x) => condition(x, 'Ready')?.status === 'True', 'sparse artifact');
    expect(await artifactFiles(s)).toEqual(['apps/app.yaml', 'infra/db.yaml']);
    expect(s.observedSparseCheckout).toEqual(['infra', 'apps/']);

    s = await reconcile('sparse', { ...spec, sparseCheckout: ['infra', 'clusters'] }, (x) => condition(x, 'Ready')?.status === 'False', 'missing directory');
    expect(condition(s, 'Ready')).toMatchObject({ reason: 'GitOperationFailed' });
    expect(condition(s, 'Ready')?.message).toContain("failed to sparse checkout directories : sparse checkout dir 'clusters' does not exist in repository");

    // Dropping sparseCheckout stores the whole tree again, though the commit is the same.
    s = await reconcile('sparse', { ...spec, sparseCheckout: undefined }, (x) => condition(x, 'Ready')?.status === 'True' && x.observedSparseCheckout === undefined, 'whole tree');
    expect(await artifactFiles(s)).toEqual(['README.md', 'apps-extra/x.yaml', 'apps/app.yaml', 'infra/db.yaml']);
  });

  it('reaches the remote through the proxy of proxySecretRef, and names a broken proxy Secret', async () => {
    const repository = new TestRepository(root, 'proxied');
    const commit = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' });
    await apply(secret('git-auth', basic));
    await apply(secret('proxy', { address: proxy.url, username: 'proxy-user', password: 'proxy-pa55' }));
    const spec = { url: http.url(repository), ref: { branch: 'main' }, secretRef: { name: 'git-auth' }, proxySecretRef: { name: 'proxy' } };
    await reconcile('proxied', spec, (x) => x.artifact?.revision === `main@sha1:${commit}`, 'artifact through the proxy');
    expect(proxy.forwarded.some((line) => line.includes(http.url(repository)))).toBe(true);

    await apply(secret('proxy-without-address', { username: 'proxy-user' }));
    const s = await reconcile('proxied', { ...spec, proxySecretRef: { name: 'proxy-without-address' } }, (x) => condition(x, 'Ready')?.status === 'False', 'broken proxy Secret');
    expect(condition(s, 'Ready')).toMatchObject({
      reason: 'AuthenticationFailed',
      message: `failed to configure proxy options: secret '${namespace}/proxy-without-address': key 'address' not found`,
    });
  });
});
