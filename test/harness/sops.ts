// Real age keys (Debian's age-keygen), real PGP keys (Debian's gnupg) and real sops
// encryption, for decryption tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from '../../tools/paths.js';

export interface AgeKey {
  identity: string;
  recipient: string;
}

export function ageKey(): AgeKey {
  const file = join(mkdtempSync(join(tmpdir(), 'age-')), 'key.txt');
  try {
    execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(`age-keygen failed: run tools/install-packages.sh to install Debian's age`, { cause: error });
  }
  return { identity: readFileSync(file, 'utf8'), recipient: execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim() };
}

export interface PgpKey {
  fingerprint: string;
  /** the armored private key, as a decryption Secret's `.asc` entry holds it */
  armored: string;
  /** the GnuPG home that holds the key pair, where sops finds the public key to encrypt for */
  gnupgHome: string;
}

/** A new PGP key pair, made by the real gpg in a GnuPG home of its own; without a passphrase unless given one. */
export function pgpKey({ passphrase = '' }: { passphrase?: string } = {}): PgpKey {
  // Short: gpg-agent's sockets live in the home.
  const gnupgHome = mkdtempSync(join('/tmp', 'pgp-'));
  // A cheap key derivation for a passphrase: gpg-agent calibrates one that takes seconds.
  writeFileSync(join(gnupgHome, 'gpg-agent.conf'), 's2k-count 65536\n');
  // A loopback pinentry with an empty passphrase: the key is stored unprotected (gpg's %no-protection).
  const gpg = (...args: string[]) =>
    execFileSync('gpg', ['--homedir', gnupgHome, '--batch', '--pinentry-mode', 'loopback', '--passphrase', passphrase, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    gpg('--quick-gen-key', `Kimbernetes test ${gnupgHome.slice(-6)} <test@kimbernetes.invalid>`, 'future-default', 'default', 'never');
  } catch (error) {
    throw new Error(`gpg --quick-gen-key failed: run tools/install-packages.sh to install Debian's gnupg`, { cause: error });
  }
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--list-secret-keys', '--with-colons'))![1]!;
  const armored = gpg('--armor', '--export-secret-keys', fingerprint);
  execFileSync('gpgconf', ['--homedir', gnupgHome, '--kill', 'gpg-agent']);
  return { fingerprint, armored, gnupgHome };
}

/** `plain` encrypted by the real sops for `key`, in `format`. */
export function encrypt(plain: string | Buffer, key: AgeKey | PgpKey, format: 'yaml' | 'dotenv' | 'binary', encryptedRegex?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plain-'));
  writeFileSync(join(dir, 'plain'), plain);
  const recipient = 'fingerprint' in key ? ['--pgp', key.fingerprint] : ['--age', key.recipient];
  const args = ['encrypt', ...recipient, '--input-type', format, '--output-type', format];
  if (encryptedRegex) args.push('--encrypted-regex', encryptedRegex);
  const env = { ...process.env, SOPS_DISABLE_VERSION_CHECK: '1', ...('gnupgHome' in key ? { GNUPGHOME: key.gnupgHome } : {}) };
  return execFileSync(requireBinary('sops'), [...args, join(dir, 'plain')], { encoding: 'utf8', env });
}
