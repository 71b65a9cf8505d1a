// Real age keys (Debian's age-keygen) and real sops encryption, for decryption tests.
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

/** `plain` encrypted by the real sops for `key`, in `format`. */
export function encrypt(plain: string | Buffer, key: AgeKey, format: 'yaml' | 'dotenv' | 'binary', encryptedRegex?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plain-'));
  writeFileSync(join(dir, 'plain'), plain);
  const args = ['encrypt', '--age', key.recipient, '--input-type', format, '--output-type', format];
  if (encryptedRegex) args.push('--encrypted-regex', encryptedRegex);
  return execFileSync(requireBinary('sops'), [...args, join(dir, 'plain')], { encoding: 'utf8', env: { ...process.env, SOPS_DISABLE_VERSION_CHECK: '1' } });
}

