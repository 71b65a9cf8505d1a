// Reading real git repositories over file://, SSH (a key, or a key with a passphrase),
// HTTP with basic auth, HTTPS with a client certificate and through a proxy, and the
// errors a user gets for a wrong key, passphrase, host key, password, host or branch.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkoutCommit, listRemoteRefs, proxyEnvironment } from '../../git/client.js';
import { prepareCredentials, type GitSecret } from '../../git/credentials.js';
import { GitError, GitFailure } from '../../git/errors.js';
import { resolveRef } from '../../domain/git-ref.js';
import { testAuthority, type TestAuthority } from '../harness/certificates.js';
import {
  git,
  newGitRoot,
  otherKeyPair,
  startForwardProxy,
  startHttpGitServer,
  startSshGitServer,
  TestRepository,
  type ForwardProxy,
  type HttpGitServer,
  type SshGitServer,
} from '../harness/git-servers.js';

describe('git access', () => {
  let repository: TestRepository;
  let ssh: SshGitServer;
  let http: HttpGitServer;
  let https: HttpGitServer;
  let authority: TestAuthority;
  let proxy: ForwardProxy;
  let head: string;
  let root: string;
  const basic = { username: 'flux', password: 's3cret-pa55' };

  beforeAll(async () => {
    root = newGitRoot();
    repository = new TestRepository(root, 'fleet');
    repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' }, 'first');
    repository.tag('v1.0.0', true);
    head = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap # v2\n' }, 'second');
    ssh = await startSshGitServer();
    http = await startHttpGitServer(root, basic);
    authority = testAuthority();
    https = await startHttpGitServer(root, undefined, { tls: { ...authority.server, ca: authority.ca } });
    proxy = await startForwardProxy({ username: 'proxy-user', password: 'proxy-pa55' });
  });

  afterAll(async () => {
    await ssh?.stop();
    await http?.stop();
    await https?.stop();
    await proxy?.stop();
  });

  async function fetchMain(url: string, secret?: GitSecret, connection?: { proxyUrl?: string }): Promise<string> {
    const credentials = await prepareCredentials(url, secret, connection);
    try {
      const refs = await listRemoteRefs(url, { credentials, timeoutMs: 20_000 });
      const resolution = resolveRef({ branch: 'main' }, refs);
      if (resolution.kind !== 'resolved') throw new Error(resolution.message);
      const dir = mkdtempSync(join(tmpdir(), 'checkout-'));
      await checkoutCommit(dir, { url, commit: resolution.commit, fetchRef: resolution.fetchRef }, { credentials, timeoutMs: 20_000 });
      expect(resolution.revision).toBe(`main@sha1:${head}`);
      return readFileSync(join(dir, 'apps/app.yaml'), 'utf8');
    } finally {
      await credentials.dispose();
    }
  }

  async function failure(promise: Promise<unknown>): Promise<GitError> {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    return error as GitError;
  }

  it('reads over file://', async () => {
    expect(await fetchMain(repository.fileUrl)).toBe('kind: ConfigMap # v2\n');
  });

  it('reads over SSH with a key and known_hosts', async () => {
    expect(await fetchMain(ssh.url(repository), { identity: ssh.identity, known_hosts: ssh.knownHosts })).toBe('kind: ConfigMap # v2\n');
  });

  it('reads over HTTP with basic auth', async () => {
    expect(await fetchMain(http.url(repository), basic)).toBe('kind: ConfigMap # v2\n');
  });

  it('reads over SSH with a key protected by a passphrase, given as the password', async () => {
    const secret = { identity: ssh.encryptedIdentity, password: ssh.passphrase, known_hosts: ssh.knownHosts };
    expect(await fetchMain(ssh.url(repository), secret)).toBe('kind: ConfigMap # v2\n');
  });

  it('reports a wrong passphrase as an authentication failure, without the passphrase', async () => {
    const error = await failure(fetchMain(ssh.url(repository), { identity: ssh.encryptedIdentity, password: 'not-the-passphrase', known_hosts: ssh.knownHosts }));
    expect(error.failure).toBe(GitFailure.AuthenticationFailed);
    expect(error.message).not.toContain('not-the-passphrase');
  });

  it('reads over HTTPS with a client certificate and key (tls.crt, tls.key) and the CA (ca.crt)', async () => {
    const secret = { 'ca.crt': authority.ca, 'tls.crt': authority.client.cert, 'tls.key': authority.client.key };
    expect(await fetchMain(https.url(repository), secret)).toBe('kind: ConfigMap # v2\n');
  });

  it('is refused over HTTPS with a client certificate the server does not trust, or none', async () => {
    const stranger = await failure(fetchMain(https.url(repository), { 'ca.crt': authority.ca, 'tls.crt': authority.stranger.cert, 'tls.key': authority.stranger.key }));
    expect(stranger.message).toContain(https.url(repository));
    await failure(fetchMain(https.url(repository), { 'ca.crt': authority.ca }));
    const half = await failure(fetchMain(https.url(repository), { 'ca.crt': authority.ca, 'tls.crt': authority.client.cert }));
    expect(half.message).toMatch(/needs both 'tls.crt' and 'tls.key'/);
  });

  it('goes through the proxy it is given, with the proxy credentials', async () => {
    const before = proxy.forwarded.length;
    const proxyUrl = 'http://proxy-user:proxy-pa55@' + proxy.url.slice('http://'.length);
    expect(await fetchMain(http.url(repository), basic, { proxyUrl })).toBe('kind: ConfigMap # v2\n');
    expect(proxy.forwarded.slice(before).some((line) => line.includes(http.url(repository)))).toBe(true);
    const refused = await failure(fetchMain(http.url(repository), basic, { proxyUrl: proxy.url }));
    expect(refused.message).toContain(http.url(repository));
  });

  it("hands git the worker's proxy variables, upper case as Go reads them, lower case as git's libcurl does", () => {
    expect(proxyEnvironment({ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '.cluster.local', http_proxy: 'http://lower:3128', HTTP_PROXY: 'http://upper:3128' })).toEqual({
      https_proxy: 'http://proxy:3128',
      no_proxy: '.cluster.local',
      http_proxy: 'http://lower:3128',
    });
  });

  it('checks out an annotated tag at its commit', async () => {
    const credentials = await prepareCredentials(repository.fileUrl, undefined);
    const refs = await listRemoteRefs(repository.fileUrl, { credentials, timeoutMs: 20_000 });
    const resolution = resolveRef({ tag: 'v1.0.0' }, refs);
    expect(resolution.kind).toBe('resolved');
    if (resolution.kind !== 'resolved') return;
    const dir = mkdtempSync(join(tmpdir(), 'checkout-'));
    await checkoutCommit(dir, { url: repository.fileUrl, commit: resolution.commit, fetchRef: resolution.fetchRef }, { credentials, timeoutMs: 20_000 });
    expect(readFileSync(join(dir, 'apps/app.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect(resolution.revision).toMatch(/^v1\.0\.0@sha1:[0-9a-f]{40}$/);
  });

  it('reports a wrong SSH key as an authentication failure', async () => {
    const error = await failure(fetchMain(ssh.url(repository), { identity: otherKeyPair().privateKey, known_hosts: ssh.knownHosts }));
    expect(error.failure).toBe(GitFailure.AuthenticationFailed);
    expect(error.message).toContain(ssh.url(repository));
  });

  it('refuses a host whose key does not match known_hosts', async () => {
    const wrongHost = `[127.0.0.1]:${ssh.port} ${otherKeyPair().publicKey.split(' ').slice(0, 2).join(' ')}\n`;
    const error = await failure(fetchMain(ssh.url(repository), { identity: ssh.identity, known_hosts: wrongHost }));
    expect(error.failure).toBe(GitFailure.HostKeyMismatch);
    expect(error.message).toMatch(/^ssh host key does not match known_hosts/);
  });

  it('requires known_hosts for SSH', async () => {
    const error = await failure(fetchMain(ssh.url(repository), { identity: ssh.identity }));
    expect(error.message).toMatch(/known_hosts is required/);
  });

  it('reports a wrong password as an authentication failure, without the password', async () => {
    const error = await failure(fetchMain(http.url(repository), { username: 'flux', password: 'wrong-password' }));
    expect(error.failure).toBe(GitFailure.AuthenticationFailed);
    expect(error.message).not.toContain('wrong-password');
    expect(error.message).not.toContain(Buffer.from('flux:wrong-password').toString('base64'));
  });

  it('reports an unreachable host', async () => {
    const error = await failure(fetchMain('http://127.0.0.1:9/nothing.git'));
    expect(error.failure).toBe(GitFailure.Unreachable);
  });

  it('says which branch is missing', async () => {
    const credentials = await prepareCredentials(repository.fileUrl, undefined);
    const refs = await listRemoteRefs(repository.fileUrl, { credentials, timeoutMs: 20_000 });
    expect(resolveRef({ branch: 'release' }, refs)).toEqual({ kind: 'notFound', message: "branch 'release' not found" });
  });

  it('removes the credential files after use', async () => {
    const credentials = await prepareCredentials(ssh.url(repository), { identity: ssh.identity, known_hosts: ssh.knownHosts });
    const keyFile = /-i (\S+)/.exec(credentials.env.GIT_SSH_COMMAND!)![1]!;
    expect(existsSync(keyFile)).toBe(true);
    await credentials.dispose();
    expect(existsSync(keyFile)).toBe(false);
  });
  it('gives up at the timeout on a remote that does not answer', async () => {
    http.delayMs = 10_000;
    try {
      const credentials = await prepareCredentials(http.url(repository), basic);
      const started = Date.now();
      const error = await failure(listRemoteRefs(http.url(repository), { credentials, timeoutMs: 1_000 }));
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(error.failure).toBe(GitFailure.Unreachable);
      await credentials.dispose();
    } finally {
      http.delayMs = 0;
    }
  });

  it('stops git when the reconcile is cancelled, saying so', async () => {
    http.delayMs = 10_000;
    try {
      const credentials = await prepareCredentials(http.url(repository), basic);
      const cancelled = new AbortController();
      setTimeout(() => cancelled.abort(), 300);
      const started = Date.now();
      const error = await failure(listRemoteRefs(http.url(repository), { credentials, timeoutMs: 60_000, signal: cancelled.signal }));
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(error.message).toBe(`git operation on ${http.url(repository)} cancelled`);
      await credentials.dispose();
    } finally {
      http.delayMs = 0;
    }
  });

  it('checks out submodules when asked, with the same credentials', async () => {
    const library = new TestRepository(root, 'library');
    library.commit({ 'lib.yaml': 'kind: Library\n' });
    const parent = new TestRepository(root, 'parent');
    parent.commit({ 'main.yaml': 'kind: Main\n' });
    git(parent.work, '-c', 'protocol.file.allow=always', 'submodule', 'add', '--quiet', library.fileUrl, 'vendor/library');
    // Point the submodule at the HTTP server, as a hosted repository would.
    git(parent.work, 'config', '-f', '.gitmodules', 'submodule.vendor/library.url', http.url(library));
    git(parent.work, 'add', '.gitmodules');
    const commit = parent.commit({}, 'add the library');

    const url = http.url(parent);
    const credentials = await prepareCredentials(url, basic);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'checkout-'));
      await checkoutCommit(dir, { url, commit, fetchRef: 'refs/heads/main', recurseSubmodules: true }, { credentials, timeoutMs: 20_000 });
      expect(readFileSync(join(dir, 'vendor/library/lib.yaml'), 'utf8')).toBe('kind: Library\n');
    } finally {
      await credentials.dispose();
    }
  });
});
