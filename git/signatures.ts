// Checking the signature of a checked-out commit or tag against the trusted keys of a
// GitRepository's `spec.verify.secretRef`, with the real git, gpg and ssh-keygen.
//
// Flux reads every value of that Secret as an armored OpenPGP key ring and accepts a
// signature made by any key of any of them (fluxcd/pkg git `verifySignature`). Here
// the values are imported into a private GnuPG home made for this one check, and git
// asks gpg (`git verify-commit --raw`); the key Flux names is the signer's primary key
// ID, the last 16 hex digits of its fingerprint, read from gpg's VALIDSIG line. Beyond
// Flux, a value that holds SSH public keys (`ssh-ed25519 AAAA…`, one per line) trusts
// them for SSH-signed commits and tags (`gpg.format=ssh`), checked through an allowed
// signers file; the key is then named by its SHA256 fingerprint.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, ToolFailure } from '../common/tool-runner.js';

export type SignedObject = { kind: 'commit'; id: string } | { kind: 'tag'; id: string };

export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  /** a new commit or new keys may fix it, retrying the same ones will not */
  readonly retryable = false;
  constructor(
    message: string,
    /** the object carries no signature at all */
    readonly unsigned = false,
  ) {
    super(message);
  }
}

export interface SignatureOptions {
  signal?: AbortSignal;
}

const sshKeyLine = /^(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+/;

/** The trusted keys of the Secret's values, split by kind. */
export function trustedKeysOf(values: readonly string[]): { pgp: string[]; ssh: string[] } {
  const pgp: string[] = [];
  const ssh: string[] = [];
  for (const value of values) {
    const lines = value.split('\n').map((line) => line.trim()).filter(Boolean);
    if (lines.length > 0 && lines.every((line) => sshKeyLine.test(line))) ssh.push(...lines);
    else pgp.push(value);
  }
  return { pgp, ssh };
}

/**
 * Checks the signature of `object` in the repository checked out at `dir`, returning
 * the key that made it; throws a SignatureError in Flux's words when none of `keys`
 * did, or when the object carries no signature.
 */
export async function verifySignature(dir: string, object: SignedObject, keys: readonly string[], options: SignatureOptions = {}): Promise<string> {
  const what = object.kind === 'commit' ? 'Git commit' : 'Git tag';
  const raw = await git(dir, ['cat-file', object.kind, object.id], {}, options);
  const format = signatureFormat(raw.stdout);
  if (!format) throw new SignatureError(`unable to verify ${what}: unable to verify payload as the provided signature is empty`, true);
  const trusted = trustedKeysOf(keys);
  const home = await mkdtemp(join(tmpdir(), 'kg-'));
  try {
    const { env, unreadable } = format === 'pgp' ? await gnupgHome(home, trusted.pgp, options) : { env: await allowedSigners(home, trusted.ssh), unreadable: 0 };
    // As Flux, a signature made by any of the keys is enough; values gpg could not read are only named when none did.
    const noKey = `unable to verify ${what}: unable to verify payload with any of the given key rings${unreadable ? ` (${unreadable} value(s) of the Secret are not OpenPGP key rings)` : ''}`;
    const verb = object.kind === 'commit' ? 'verify-commit' : 'verify-tag';
    let stderr: string;
    try {
      ({ stderr } = await git(dir, [verb, '--raw', object.id], env, options));
    } catch (error) {
      if (!(error instanceof ToolFailure)) throw error;
      if (options.signal?.aborted) throw error;
      throw new SignatureError(noKey);
    }
    const key = format === 'pgp' ? pgpSigner(stderr) : sshSigner(stderr);
    if (!key) throw new SignatureError(noKey);
    return key;
  } finally {
    if (format === 'pgp') await runTool('gpgconf', ['--homedir', home, '--kill', 'all']).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  }
}

/** Whether a raw commit or tag object carries an OpenPGP or an SSH signature. */
function signatureFormat(raw: string): 'pgp' | 'ssh' | undefined {
  if (raw.includes('-----BEGIN PGP SIGNATURE-----')) return 'pgp';
  if (raw.includes('-----BEGIN SSH SIGNATURE-----')) return 'ssh';
  return undefined;
}

/** A GnuPG home with the key rings imported, and how many values gpg could not read. */
async function gnupgHome(home: string, keyRings: readonly string[], options: SignatureOptions): Promise<{ env: NodeJS.ProcessEnv; unreadable: number }> {
  const env = { GNUPGHOME: home, PATH: process.env.PATH, HOME: home };
  // Keys in this home are trusted because the user put them in the Secret.
  await writeFile(join(home, 'gpg.conf'), 'trust-model always\n', { mode: 0o600 });
  let unreadable = 0;
  for (const [index, keyRing] of keyRings.entries()) {
    const file = join(home, `keyring-${index}.asc`);
    await writeFile(file, keyRing, { mode: 0o600 });
    try {
      await runTool('gpg', ['--batch', '--quiet', '--import', file], { env, signal: options.signal });
    } catch (error) {
      if (!(error instanceof ToolFailure) || options.signal?.aborted) throw error;
      unreadable += 1;
    }
  }
  return { env, unreadable };
}

async function allowedSigners(home: string, keys: readonly string[]): Promise<NodeJS.ProcessEnv> {
  const file = join(home, 'allowed_signers');
  await writeFile(file, keys.map((key) => `* namespaces="git" ${key}\n`).join(''), { mode: 0o600 });
  return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'gpg.ssh.allowedSignersFile', GIT_CONFIG_VALUE_0: file };
}

/** The primary key ID (16 hex digits) of gpg's VALIDSIG status line. */
function pgpSigner(status: string): string | undefined {
  const fields = /^\[GNUPG:\] VALIDSIG (.+)$/m.exec(status)?.[1]?.trim().split(/\s+/);
  const primary = fields?.[fields.length - 1];
  return primary && /^[0-9A-F]{40}$/i.test(primary) ? primary.slice(-16).toUpperCase() : undefined;
}

function sshSigner(output: string): string | undefined {
  return /^Good "git" signature for .* with \S+ key (SHA256:\S+)/m.exec(output)?.[1];
}

function git(dir: string, args: string[], env: NodeJS.ProcessEnv, options: SignatureOptions) {
  return runTool('git', args, {
    cwd: dir,
    signal: options.signal,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...env },
  });
}
