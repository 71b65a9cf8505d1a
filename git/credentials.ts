// Turning a GitRepository's auth Secret into what git needs, without ever putting a
// secret on a command line or in a log: SSH keys (and their passphrase) and client
// certificates go to 0600 files in a private folder, HTTP credentials and the proxy to
// git's configuration passed through its environment.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError, GitFailure } from './errors.js';

/** The Secret's data, decoded: identity, known_hosts, username, password, bearerToken, ca.crt, tls.crt, tls.key. */
export type GitSecret = Readonly<Record<string, string>>;

export interface ConnectionOptions {
  /** the proxy for HTTP(S) remotes, credentials included (spec.proxySecretRef) */
  proxyUrl?: string;
}

export interface GitCredentials {
  env: Record<string, string>;
  /** removes the files written for this operation */
  dispose(): Promise<void>;
}

export async function prepareCredentials(url: string, secret: GitSecret | undefined, connection: ConnectionOptions = {}): Promise<GitCredentials> {
  const dir = await mkdtemp(join(tmpdir(), 'kimbernetes-git-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const config: [string, string][] = [];
    const env: Record<string, string> = {
      // Never wait for a password: fail at once.
      GIT_TERMINAL_PROMPT: '0',
      // No user or system configuration changes how we fetch.
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    };
    if (isSsh(url)) {
      const sshOptions = ['-F /dev/null', '-o IdentitiesOnly=yes', '-o GlobalKnownHostsFile=/dev/null'];
      if (secret?.identity) {
        const identity = join(dir, 'identity');
        await writeFile(identity, secret.identity.endsWith('\n') ? secret.identity : `${secret.identity}\n`, { mode: 0o600 });
        sshOptions.push(`-i ${identity}`);
      }
      if (secret?.identity && secret.password) {
        // The key's passphrase (Flux reads it from `password`): BatchMode would refuse to
        // ask for it, so ssh asks a program that reads it from a private file, once, and
        // every other prompt is turned off instead.
        const passphrase = join(dir, 'passphrase');
        await writeFile(passphrase, secret.password, { mode: 0o600 });
        const askpass = join(dir, 'askpass');
        await writeFile(askpass, `#!/bin/sh\nexec cat ${shellQuoted(passphrase)}\n`, { mode: 0o700 });
        Object.assign(env, { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' });
        sshOptions.push('-o NumberOfPasswordPrompts=1', '-o PasswordAuthentication=no', '-o KbdInteractiveAuthentication=no');
      } else {
        // Never wait for a password: fail at once.
        sshOptions.push('-o BatchMode=yes');
      }
      if (!secret?.known_hosts) {
        throw new GitError(`known_hosts is required for ssh URL ${url}: add it to the secret referenced by spec.secretRef`, GitFailure.AuthenticationFailed);
      }
      const knownHosts = join(dir, 'known_hosts');
      await writeFile(knownHosts, secret.known_hosts, { mode: 0o600 });
      sshOptions.push(`-o UserKnownHostsFile=${knownHosts}`, '-o StrictHostKeyChecking=yes');
      env.GIT_SSH_COMMAND = `ssh ${sshOptions.join(' ')}`;
    } else if (secret) {
      if (secret.bearerToken) config.push(['http.extraHeader', `Authorization: Bearer ${secret.bearerToken}`]);
      else if (secret.username !== undefined || secret.password !== undefined) {
        const basic = Buffer.from(`${secret.username ?? ''}:${secret.password ?? ''}`).toString('base64');
        config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
      }
      const ca = secret['ca.crt'] ?? secret.caFile;
      if (ca) {
        const caFile = join(dir, 'ca.crt');
        await writeFile(caFile, ca, { mode: 0o600 });
        config.push(['http.sslCAInfo', caFile]);
      }
      const clientCertificate = secret['tls.crt'];
      const clientKey = secret['tls.key'];
      if (clientCertificate !== undefined || clientKey !== undefined) {
        if (!clientCertificate || !clientKey) {
          throw new GitError(`invalid TLS client certificate for ${url}: the secret needs both 'tls.crt' and 'tls.key'`, GitFailure.AuthenticationFailed);
        }
        const certFile = join(dir, 'tls.crt');
        const keyFile = join(dir, 'tls.key');
        await writeFile(certFile, clientCertificate, { mode: 0o600 });
        await writeFile(keyFile, clientKey, { mode: 0o600 });
        config.push(['http.sslCert', certFile], ['http.sslKey', keyFile]);
      }
    }
    // Over SSH git takes no proxy: Flux's proxy is for HTTP(S) remotes here.
    if (connection.proxyUrl && !isSsh(url)) config.push(['http.proxy', connection.proxyUrl]);
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], index) => {
      env[`GIT_CONFIG_KEY_${index}`] = key;
      env[`GIT_CONFIG_VALUE_${index}`] = value;
    });
    return { env, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

function shellQuoted(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}

export function isSsh(url: string): boolean {
  return url.startsWith('ssh://') || /^[\w.-]+@[\w.-]+:/.test(url);
}
