// SOPS decryption with age keys for a Kustomization's `spec.decryption`, done the way
// Flux's kustomize-controller does it (internal/decryptor/decryptor.go and the build step
// of internal/controller/kustomization_controller.go; docs/spec/v1/kustomizations.md,
// "Decryption"):
//
// - Keys: every entry of the decryption Secret whose name ends in `.agekey` holds age
//   identities, and every entry ending in `.asc` armored PGP private keys; other entries
//   (`sops.vault-token`, cloud KMS credentials) are for providers this engine does not
//   support and are ignored here.
// - Two passes, because kustomize treats the two kinds of input differently:
//   1. Before the build, only the files kustomize reads as opaque bytes are decrypted in
//      place: secretGenerator `files` and `envs`, and patch files (`patches[].path`), found
//      by following the kustomization files from the Kustomization's path through its
//      resources and components. kustomize splits an env file into keys and applies
//      patches during the build, so these cannot wait for the built objects.
//   2. After the build, every built object with sops metadata (`sops.mac`) is decrypted
//      as a whole, as are Secret `data` values that are themselves sops documents. Doing
//      this after the build, like Flux, means only files the build really uses are
//      touched, so a repository may hold files encrypted for other clusters' keys.
// - The MAC is not verified, in either pass, as in Flux: it covers the plain fields too,
//   which kustomize rewrites (namespace, name prefix, labels) and users edit by hand in
//   encrypted files (a patch's target name, say). An encrypted value that was changed
//   still fails its own AES-GCM check, which also binds it to its key path.
// - A file counts as encrypted when it holds sops' marker for its format (for YAML
//   `mac: ENC[`); an object when it has a non-empty `sops.mac`. An object annotated
//   `kustomize.toolkit.fluxcd.io/decrypt: disabled` is left as it is.
// - Without `spec.decryption`, Flux decrypts nothing and fails at apply time on the first
//   v1 Secret that still has a top-level `sops` field (unless annotated as above), saying
//   decryption must be configured for it: `findEncrypted` finds that Secret.
//
// The real `sops` binary does the work, in an environment of its own with an empty HOME
// so that no key of this machine is used. Age keys reach it through SOPS_AGE_KEY; PGP
// keys are imported (on stdin, by the real `gpg --batch --import`) into a GnuPG home made
// for the one decryption run, which sops is given as GNUPGHOME and hands to gpg; the
// gpg-agent that the import starts is stopped and the home removed afterwards.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { describeReference, referenceOf, type KubernetesObject } from '../kube/objects.js';

export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
  /** fixed by a change in Git, in the spec or in the decryption Secret, not by retrying */
  readonly retryable = false;
  constructor(
    /** what could not be decrypted (a file of the artifact, a built object) or imported (an entry of the decryption Secret) */
    readonly subject: string,
    reason: string,
    action: 'decrypt' | 'import' = 'decrypt',
  ) {
    super(`failed to ${action} ${subject}: ${reason}`);
  }
}

/** The PGP keys of a decryption Secret. */
export interface PgpKeys {
  /** the Secret, `namespace/name`, named when one of its entries cannot be imported */
  secret: string;
  /** its entries whose name ends in `.asc`, by name: each one or more armored private keys */
  entries: Record<string, string>;
}

export interface DecryptOptions {
  /** the sops binary */
  sops: string;
  /** age identities, as `ageKeysOf` returns them */
  ageKeys: string[];
  /** PGP private keys, as `pgpKeysOf` returns them */
  pgpKeys?: PgpKeys;
  /** stops sops and gpg when aborted: the reconcile was cancelled */
  signal?: AbortSignal;
}

/** The age identities of a decryption Secret: the values of its `*.agekey` entries. */
export function ageKeysOf(secretData: Record<string, string>): string[] {
  return entriesEndingIn(secretData, '.agekey').map((name) => secretData[name]!);
}

/** The PGP keys of the decryption Secret `secret` (`namespace/name`): its `*.asc` entries; undefined when it has none. */
export function pgpKeysOf(secretData: Record<string, string>, secret: string): PgpKeys | undefined {
  const names = entriesEndingIn(secretData, '.asc');
  return names.length > 0 ? { secret, entries: Object.fromEntries(names.map((name) => [name, secretData[name]!])) } : undefined;
}

const entriesEndingIn = (secretData: Record<string, string>, extension: string) =>
  Object.keys(secretData)
    .filter((name) => name.endsWith(extension))
    .sort();

const SopsFormat = { yaml: 'yaml', json: 'json', dotenv: 'dotenv', ini: 'ini', binary: 'binary' } as const;
type SopsFormat = (typeof SopsFormat)[keyof typeof SopsFormat];

/** What sops writes into an encrypted document of each format; binary is a JSON envelope. */
const markers: Record<SopsFormat, string> = {
  json: '"mac": "ENC[',
  binary: '"mac": "ENC[',
  yaml: 'mac: ENC[',
  dotenv: 'sops_mac=ENC[',
  ini: '[sops]',
};

/** sops' format for a file name, with Docker's config key read as JSON as Flux does. */
function formatForPath(path: string): SopsFormat {
  if (/\.ya?ml$/.test(path)) return SopsFormat.yaml;
  if (path.endsWith('.json') || path.endsWith('.dockerconfigjson')) return SopsFormat.json;
  if (path.endsWith('.env')) return SopsFormat.dotenv;
  if (path.endsWith('.ini')) return SopsFormat.ini;
  return SopsFormat.binary;
}

/** The format an encrypted document is in, from its marker; binary loads as its JSON envelope. */
function detectFormat(data: Buffer): SopsFormat | undefined {
  for (const format of [SopsFormat.json, SopsFormat.yaml, SopsFormat.dotenv, SopsFormat.ini]) {
    if (data.includes(markers[format])) return format;
  }
  return undefined;
}

const redactions: [RegExp, string][] = [
  [/AGE-(SECRET-KEY|PLUGIN)-[0-9A-Z-]+/gi, '<redacted>'],
  [/Input string .*? does not match/gs, 'Input string <redacted> does not match'],
];

function redact(text: string): string {
  return redactions.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
}

/** sops' stderr as one short sentence that names the cause but no key or plaintext. */
function reasonOf(stderr: string, { ageKeys, pgpKeys }: DecryptOptions): string {
  // sops wraps key errors over `| `-prefixed lines.
  const text = stderr.replace(/\s*\n\s*(?:- )?\|\s*/g, ' ');
  if (/Failed to get the data key/.test(text)) {
    const malformed = /failed to parse 'SOPS_AGE_KEY' age identities: (.*?)\. Did not find keys/.exec(text);
    if (malformed) return `an age key of the decryption Secret is malformed (${redact(malformed[1]!)})`;
    if (ageKeys.length === 0 && !pgpKeys) return 'no key given: the decryption Secret needs an entry whose name ends in .agekey (age) or .asc (PGP)';
    // gpg has the matching secret key but cannot use it without asking for its passphrase.
    if (pgpKeys && /public key decryption failed/.test(text)) return 'a PGP key of the decryption Secret matches but is protected by a passphrase; its .asc entry needs the key without one';
    const recipients = [...stderr.matchAll(/^\s+(\S+): FAILED$/gm)].map((match) => match[1]!);
    return `no ${pgpKeys ? 'key of the decryption Secret (age or PGP)' : 'age key of the decryption Secret'} matches its recipients (${recipients.join(', ')})`;
  }
  if (/does not match sops' data format/.test(text)) return 'a value under an encrypted key is not sops-encrypted; was it edited by hand?';
  if (/Could not decrypt value/.test(text)) return 'a value fails its integrity check; the encrypted data was changed';
  const line = text.split('\n').find((candidate) => candidate.trim()) ?? 'sops failed';
  return redact(line.trim()).slice(0, 300);
}

/** What gpg says about an entry it cannot import, without its bookkeeping or the input it quotes. */
function importFailureOf(stderr: string): string {
  const bookkeeping = /^(keybox .* created|.*: trustdb created|key \S+: (public|secret) key .* imported|Total number processed|\s*(imported|unchanged|secret keys \w+):|invalid radix64 character)/;
  const lines = stderr
    .split('\n')
    .map((line) => line.replace(/^gpg: /, '').trim().replace(/\.$/, ''))
    .filter((line) => line && !bookkeeping.test(line));
  const cause = redact([...new Set(lines)].join('; ')).slice(0, 300) || 'gpg could not import it';
  return /no valid OpenPGP data/.test(cause) ? `${cause}; an .asc entry holds armored private keys, as \`gpg --export-secret-keys --armor\` writes them` : cause;
}

const toolTimeoutMs = 30_000;

/**
 * Runs `binary` (`tool` in messages) with `input` on stdin and returns what it printed;
 * a run that is cancelled or does not finish in time throws what `failure` makes of it.
 */
async function runTool(
  tool: string,
  binary: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: Buffer | string; signal?: AbortSignal; failure: (reason: string) => Error },
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((done, failed) => {
    const child = spawn(binary, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], timeout: toolTimeoutMs, killSignal: 'SIGKILL', signal: options.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => (options.signal?.aborted ? done({ code: null, stdout: Buffer.alloc(0), stderr: 'cancelled' }) : failed(error)));
    child.on('close', (exitCode) => done({ code: exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    // The tool may exit before reading stdin (bad arguments); that is reported by its exit code.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
  if (code === null) throw options.failure(options.signal?.aborted ? 'cancelled' : `${tool} did not finish within ${toolTimeoutMs / 1000}s`);
  return { code, stdout, stderr };
}

/** A decryption run's own directories: sops' HOME, empty, and the GnuPG home holding the Secret's PGP keys. */
interface SopsHomes {
  home: string;
  gnupgHome: string;
}

/** Runs `sops decrypt` on `input` (a path, or the document itself) and returns the plaintext. */
async function sopsDecrypt(
  options: DecryptOptions & SopsHomes,
  subject: string,
  formats: { input: SopsFormat; output: SopsFormat },
  input: { path: string } | { data: Buffer | string },
): Promise<Buffer> {
  const args = ['decrypt', '--input-type', formats.input, '--output-type', formats.output, '--ignore-mac'];
  if ('path' in input) args.push(input.path);
  const env = {
    SOPS_AGE_KEY: options.ageKeys.join('\n'),
    SOPS_DISABLE_VERSION_CHECK: '1',
    HOME: options.home,
    XDG_CONFIG_HOME: join(options.home, '.config'),
    // sops decrypts PGP data keys with the gpg binary, found on PATH, in this home.
    GNUPGHOME: options.gnupgHome,
    PATH: process.env.PATH,
  };
  const { code, stdout, stderr } = await runTool('sops', options.sops, args, {
    env,
    input: 'data' in input ? input.data : undefined,
    signal: options.signal,
    failure: (reason) => new DecryptionError(subject, reason),
  });
  if (code !== 0) throw new DecryptionError(subject, reasonOf(stderr, options));
  return stdout;
}

/** Runs `body` with a new directory under `parent`, removed afterwards. */
async function withTemporaryDir<T>(parent: string, prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(parent, prefix));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const gnupgPrefix = 'kimbernetes-gnupg-';

/**
 * Where GnuPG homes are made. gpg-agent puts its sockets in the home (no /run/user in a
 * container), and a socket's path must fit in 107 bytes: under a long TMPDIR the agent
 * could not start, and every PGP import would fail.
 */
function gnupgParent(): string {
  const longestSocket = Buffer.byteLength(`${tmpdir()}/${gnupgPrefix}XXXXXX/S.gpg-agent.browser`);
  return longestSocket <= 107 ? tmpdir() : '/tmp';
}

/** Imports each `.asc` entry into `gnupgHome` with the real gpg, the key on stdin. */
async function importPgpKeys({ secret, entries }: PgpKeys, { home, gnupgHome }: SopsHomes, signal?: AbortSignal): Promise<void> {
  for (const [entry, armored] of Object.entries(entries)) {
    const subject = `'${entry}' data from sops decryption Secret '${secret}'`;
    const failure = (reason: string) => new DecryptionError(subject, reason, 'import');
    const { code, stderr } = await runTool('gpg', 'gpg', ['--homedir', gnupgHome, '--batch', '--import'], {
      env: { HOME: home, GNUPGHOME: gnupgHome, PATH: process.env.PATH },
      input: armored,
      signal,
      failure,
    }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? failure('gpg is not installed on the worker (Debian and Ubuntu: the gnupg package)') : error;
    });
    if (code !== 0) throw failure(importFailureOf(stderr));
  }
}

/**
 * Runs `body` with the directories of one decryption run (`SopsHomes`), the PGP keys
 * imported; afterwards the gpg-agent the import started is stopped and both are removed.
 */
async function withSopsHomes<T>(options: DecryptOptions, body: (homes: SopsHomes) => Promise<T>): Promise<T> {
  return withTemporaryDir(tmpdir(), 'kimbernetes-sops-', (home) =>
    // mkdtemp makes the GnuPG home 0700, which gpg insists on.
    withTemporaryDir(gnupgParent(), gnupgPrefix, async (gnupgHome) => {
      const homes = { home, gnupgHome };
      if (!options.pgpKeys) return body(homes);
      try {
        await importPgpKeys(options.pgpKeys, homes, options.signal);
        return await body(homes);
      } finally {
        // Best effort: gpg-agent also exits by itself once it sees its home removed.
        await runTool('gpgconf', 'gpgconf', ['--homedir', gnupgHome, '--kill', 'gpg-agent'], {
          env: { HOME: home, PATH: process.env.PATH },
          failure: (reason) => new Error(reason),
        }).catch(() => undefined);
      }
    }),
  );
}

const kustomizationFiles = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
/** Flux's limit on an encrypted source file. */
const maxFileSize = 5 << 20;

interface KustomizationFile {
  resources?: unknown;
  components?: unknown;
  secretGenerator?: { files?: unknown; envs?: unknown }[];
  patches?: { path?: unknown }[];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const isRemote = (reference: string) => /^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(reference);

/** The real path of `path` when it is inside `root` and exists, else undefined. */
async function inside(root: string, path: string): Promise<string | undefined> {
  const real = await realpath(path).catch(() => undefined);
  return real && (real === root || real.startsWith(root + sep)) ? real : undefined;
}

async function readKustomization(dir: string): Promise<KustomizationFile | undefined> {
  for (const name of kustomizationFiles) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    // A broken kustomization file is kustomize's to report, with a better message.
    const parsed = (() => {
      try {
        return parse(text) as unknown;
      } catch {
        return undefined;
      }
    })();
    return parsed && typeof parsed === 'object' ? (parsed as KustomizationFile) : undefined;
  }
  return undefined;
}

/**
 * Decrypts in place the sops-encrypted files that the kustomization at `dir` (the
 * Kustomization's path inside the unpacked artifact `root`, which must be a throw-away
 * copy) and the kustomizations it refers to read as raw input: secretGenerator files and
 * env files, and patch files. Returns their paths relative to `root`. References leaving
 * the artifact, missing files and remote bases are left to kustomize to report.
 */
export async function decryptSources(root: string, dir: string, options: DecryptOptions): Promise<string[]> {
  const realRoot = await realpath(root);
  const visited = new Set<string>();
  const decrypted: string[] = [];

  return withSopsHomes(options, async (homes) => {
    const decryptFile = async (path: string, format: SopsFormat) => {
      const file = await inside(realRoot, path);
      if (!file || visited.has(file)) return;
      visited.add(file);
      const info = await stat(file);
      if (!info.isFile()) return;
      const name = relative(realRoot, file);
      if (info.size > maxFileSize) throw new DecryptionError(`'${name}'`, `it is larger than the ${maxFileSize >> 20} MiB allowed for an encrypted file`);
      if (!(await readFile(file)).includes(markers[format])) return;
      const plain = await sopsDecrypt({ ...options, ...homes }, `'${name}'`, { input: format, output: format }, { path: file });
      // A new file renamed over the old one: the artifact may be shared through hard links.
      await writeFile(`${file}.decrypted`, plain, { mode: 0o600 });
      await rename(`${file}.decrypted`, file);
      decrypted.push(name);
    };

    const visit = async (path: string) => {
      const real = await inside(realRoot, path);
      if (!real || visited.has(real)) return;
      visited.add(real);
      if (!(await stat(real)).isDirectory()) return;
      const kustomization = await readKustomization(real);
      if (!kustomization) return;
      for (const generator of Array.isArray(kustomization.secretGenerator) ? kustomization.secretGenerator : []) {
        for (const source of strings(generator?.files)) {
          // `key=path`, or just `path`; the key's extension picks the format.
          const [key, file = key] = source.split(/=(.*)/s) as [string, string?];
          await decryptFile(resolve(real, file), formatForPath(key));
        }
        for (const envFile of strings(generator?.envs)) {
          const format = formatForPath(envFile);
          await decryptFile(resolve(real, envFile), format === SopsFormat.binary ? SopsFormat.dotenv : format);
        }
      }
      for (const patch of Array.isArray(kustomization.patches) ? kustomization.patches : []) {
        const path = patch?.path;
        if (typeof path === 'string' && !isRemote(path)) await decryptFile(resolve(real, path), formatForPath(path));
      }
      for (const reference of [...strings(kustomization.resources), ...strings(kustomization.components)]) {
        if (!isRemote(reference)) await visit(resolve(real, reference));
      }
    };

    await visit(resolve(realRoot, dir));
    return decrypted;
  });
}

const decryptAnnotation = 'kustomize.toolkit.fluxcd.io/decrypt';

function decryptionDisabled(object: KubernetesObject): boolean {
  return object.metadata?.annotations?.[decryptAnnotation]?.toLowerCase() === 'disabled';
}

function hasSopsMac(object: KubernetesObject): boolean {
  const sops = object.sops as { mac?: unknown } | undefined;
  return typeof sops === 'object' && sops !== null && typeof sops.mac === 'string' && sops.mac !== '';
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decrypts the built manifests (kustomize's multi-document YAML output): every object
 * with sops metadata, and every Secret `data` value that is a sops document of its own.
 * Other documents keep their text. Returns the manifests and the decrypted objects.
 */
export async function decryptManifests(manifests: string, options: DecryptOptions): Promise<{ manifests: string; decrypted: string[] }> {
  const documents = parseAllDocuments(manifests);
  const decrypted: string[] = [];
  const texts: string[] = [];
  let position = 0;
  await withSopsHomes(options, async (homes) => {
    for (const document of documents) {
      const original = manifests.slice(position, document.range[2]);
      position = document.range[2];
      const object = document.errors.length === 0 ? (document.toJS() as KubernetesObject | null) : null;
      // Anything that is not an object is left for the caller's validation to report.
      if (!object || typeof object !== 'object' || !object.kind || !object.metadata || decryptionDisabled(object)) {
        texts.push(original);
        continue;
      }
      const name = describeReference(referenceOf(object));
      let result: KubernetesObject | undefined;
      if (hasSopsMac(object)) {
        const plain = await sopsDecrypt({ ...options, ...homes }, name, { input: SopsFormat.json, output: SopsFormat.json }, { data: JSON.stringify(object) });
        result = JSON.parse(plain.toString('utf8')) as KubernetesObject;
      } else if (object.kind === 'Secret' && object.data && typeof object.data === 'object') {
        const data = { ...(object.data as Record<string, unknown>) };
        let changed = false;
        for (const [key, value] of Object.entries(data)) {
          // A value that is not base64 is the API server's to refuse.
          if (typeof value !== 'string' || !base64.test(value)) continue;
          const bytes = Buffer.from(value, 'base64');
          const format = detectFormat(bytes);
          if (!format) continue;
          const plain = await sopsDecrypt({ ...options, ...homes }, `${name} field '${key}'`, { input: format, output: formatForPath(key) }, { data: bytes });
          data[key] = plain.toString('base64');
          changed = true;
        }
        if (changed) result = { ...object, data };
      }
      if (!result) {
        texts.push(original);
        continue;
      }
      decrypted.push(name);
      texts.push(`${document.directives.docStart ? '---\n' : ''}${stringify(result)}`);
    }
    texts.push(manifests.slice(position));
  });
  return { manifests: decrypted.length > 0 ? texts.join('') : manifests, decrypted };
}

/**
 * The first built Secret that is still SOPS-encrypted, as `Secret/namespace/name`: what
 * Flux refuses to apply when `spec.decryption` is not set. Objects annotated
 * `kustomize.toolkit.fluxcd.io/decrypt: disabled` and other kinds (a SopsSecret custom
 * resource, say) are meant to be applied as they are.
 */
export function findEncrypted(objects: KubernetesObject[]): string | undefined {
  const encrypted = objects.find(
    (object) => object.apiVersion === 'v1' && object.kind === 'Secret' && 'sops' in object && !decryptionDisabled(object),
  );
  return encrypted && describeReference(referenceOf(encrypted));
}

