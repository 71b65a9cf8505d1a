// Signing keys made by the real gpg and ssh-keygen, for signature verification tests:
// each with the git options that sign with it, the public key a verification Secret
// holds, and the key ID as the tools themselves print it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Signer } from './git-servers.js';

export interface SigningKey extends Signer {
  /** what goes into the verification Secret */
  publicKey: string;
  /** gpg's long key ID of the primary key, or ssh-keygen's SHA256 fingerprint */
  keyId: string;
  /** stops the gpg-agent that signing started and removes the key */
  dispose(): void;
}

export function pgpSigningKey(name: string): SigningKey {
  const home = mkdtempSync(join(tmpdir(), 'kg-'));
  const env = { GNUPGHOME: home };
  const gpg = (...args: string[]) => execFileSync('gpg', ['--batch', ...args], { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    gpg('--passphrase', '', '--quick-gen-key', `${name} <${name}@kimbernetes.invalid>`, 'ed25519', 'sign', 'never');
  } catch (error) {
    throw new Error(`gpg failed: run tools/install-packages.sh to install Debian's gnupg`, { cause: error });
  }
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--list-keys'))![1]!;
  return {
    options: ['-c', `user.signingkey=${fingerprint}`, '-c', 'gpg.program=gpg'],
    env,
    publicKey: gpg('--armor', '--export', fingerprint),
    keyId: fingerprint.slice(-16),
    dispose() {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function sshSigningKey(): SigningKey {
  const dir = mkdtempSync(join(tmpdir(), 'kimbernetes-signing-'));
  const key = join(dir, 'signing');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key, '-C', 'signer']);
  return {
    options: ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`],
    env: {},
    publicKey: readFileSync(`${key}.pub`, 'utf8'),
    keyId: execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1]!,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
