// SOPS decryption with real age and PGP keys and the real sops, gpg and kustomize
// binaries: encrypted Secrets decrypt after the build (namespace and prefix included),
// generator sources and patch files before it, a wrong key, a malformed key or an edited
// value fails naming the file, object or Secret entry without showing keys or plaintext,
// the worker's --sops-age-secret lends its age keys to Kustomizations that name no
// Secret, and an encrypted Secret without decryption is found.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from '../../kustomize/build.js';
import { createBuildCache } from '../../kustomize/build-cache.js';
import { ageKeysOf, decryptManifests, decryptSources, DecryptionError, findEncrypted, pgpKeysOf } from '../../kustomize/decrypt.js';
import { renderKustomization, type BuildInputs } from '../../kustomize/render.js';
import { requireBinary } from '../../tools/paths.js';
import { fileTree, objectsOf } from '../harness/files.js';
import { ageKey, encrypt, pgpKey, type AgeKey, type PgpKey } from '../harness/sops.js';
import type { KubernetesObject } from '../../kube/objects.js';

const sops = requireBinary('sops');
const kustomize = requireBinary('kustomize');

const artifact = (files: Record<string, string | Buffer>) => fileTree(files);

const objects = objectsOf;
const byKind = (built: KubernetesObject[], kind: string) => built.find((object) => object.kind === kind)!;

const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n';
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: plain\n';
const dataOnly = '^(data|stringData)$';

let right: AgeKey;
let wrong: AgeKey;
let rightPgp: PgpKey;
let wrongPgp: PgpKey;

beforeAll(() => {
  right = ageKey();
  wrong = ageKey();
  rightPgp = pgpKey();
  wrongPgp = pgpKey();
});

/** The messages a DecryptionError may carry must not hold these. */
function expectNoSecrets(error: unknown, ...plaintexts: string[]) {
  expect(error).toBeInstanceOf(DecryptionError);
  const message = (error as Error).message;
  for (const key of [right, wrong]) expect(message).not.toContain(key.identity.trim().split('\n').pop());
  expect(message).not.toMatch(/AGE-SECRET-KEY/i);
  for (const key of [rightPgp, wrongPgp]) {
    for (const line of key.armored.split('\n').filter((text) => text.length > 16)) expect(message).not.toContain(line);
  }
  expect(message).not.toMatch(/PGP PRIVATE KEY/);
  for (const plaintext of plaintexts) expect(message).not.toContain(plaintext);
}

/** The GnuPG homes and gpg-agents decryption runs leave behind under `parent`: none, once a run is over. */
function gnupgLeftovers(parent = tmpdir()) {
  const homes = readdirSync(parent).filter((name) => name.startsWith('kimbernetes-gnupg-'));
  const agents = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('gpg-agent') && line.includes(`${parent}/kimbernetes-gnupg-`));
  return { homes, agents };
}

/** Secrets read by a build, by `namespace/name`. */
const secretsOf = (secrets: Record<string, Record<string, string>>): BuildInputs => ({
  readSecret: async (namespace, name) => secrets[`${namespace}/${name}`],
  readConfigMap: async () => undefined,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('SOPS decryption', () => {
  it('takes the age keys from the decryption Secret entries ending in .agekey, the PGP keys from those ending in .asc', () => {
    const data = { 'identity.agekey': right.identity, 'old.agekey': wrong.identity, 'identity.asc': 'pgp', 'old.asc': 'old pgp', 'sops.vault-token': 'token' };
    expect(ageKeysOf(data)).toEqual([right.identity, wrong.identity]);
    expect(ageKeysOf({ 'sops.aws-kms': 'aws' })).toEqual([]);
    expect(pgpKeysOf(data, 'flux-system/sops-keys')).toEqual({ secret: 'flux-system/sops-keys', entries: { 'identity.asc': 'pgp', 'old.asc': 'old pgp' } });
    expect(pgpKeysOf({ 'identity.agekey': right.identity }, 'flux-system/sops-keys')).toBeUndefined();
  });

  it('decrypts objects and sources encrypted for a PGP key with the .asc entry, in a GnuPG home removed afterwards', async () => {
    const before = gnupgLeftovers();
    const root = artifact({
      'apps/kustomization.yaml': 'resources: [secret.yaml]\nsecretGenerator:\n  - name: app\n    envs: [app.env]\n',
      'apps/secret.yaml': encrypt(secret, rightPgp, 'yaml', dataOnly),
      'apps/app.env': encrypt('PASS=hunter2\n', rightPgp, 'dotenv'),
    });
    // One entry may hold several keys, as `gpg --export-secret-keys --armor` of a keyring writes them.
    const options = { sops, ageKeys: [], pgpKeys: pgpKeysOf({ 'keys.asc': wrongPgp.armored + rightPgp.armored }, 'flux-system/sops-keys') };

    expect(await decryptSources(root, 'apps', options)).toEqual(['apps/app.env']);
    const result = await decryptManifests(await build({ root, spec: { path: './apps', targetNamespace: 'prod' }, kustomize }), options);

    expect(result.decrypted).toEqual(['Secret/prod/db']);
    const built = objects(result.manifests);
    expect(built.find((object) => object.metadata.name === 'db')?.stringData).toEqual({ password: 'hunter2' });
    const app = built.find((object) => object.metadata.name.startsWith('app-'))!.data as Record<string, string>;
    expect(Buffer.from(app.PASS!, 'base64').toString()).toBe('hunter2');
    // The GnuPG homes are gone, and so are the gpg-agents the imports started.
    const after = gnupgLeftovers();
    expect(after.homes.filter((home) => !before.homes.includes(home))).toEqual([]);
    expect(after.agents.filter((agent) => !before.agents.includes(agent))).toEqual([]);
  });

  it('imports PGP keys into a GnuPG home with a path short enough for gpg-agent\'s sockets under a long TMPDIR', async () => {
    const long = join(tmpdir(), `long-tmpdir-${'x'.repeat(100)}`);
    mkdirSync(long, { recursive: true });
    const manifests = encrypt(secret.replace('name: db', 'name: db\n  namespace: apps'), rightPgp, 'yaml', dataOnly);
    // A process of its own: Jest's process.env is a copy that os.tmpdir() does not read.
    const script = [
      "import { decryptManifests, pgpKeysOf } from './kustomize/decrypt.ts';",
      "const { manifests, armored, sops } = JSON.parse(process.env.INPUT);",
      "const result = await decryptManifests(manifests, { sops, ageKeys: [], pgpKeys: pgpKeysOf({ 'identity.asc': armored }, 'flux-system/sops-keys') });",
      'console.log(JSON.stringify(result.decrypted));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: long, INPUT: JSON.stringify({ manifests, armored: rightPgp.armored, sops }) },
    });
    expect(JSON.parse(stdout)).toEqual(['Secret/apps/db']);
    expect(gnupgLeftovers(long)).toEqual({ homes: [], agents: [] });
  });

  it('decrypts an encrypted Secret after the build, with the namespace and prefix kustomize gave it', async () => {
    const root = artifact({ 'apps/secret.yaml': encrypt(secret, right, 'yaml', dataOnly), 'apps/settings.yaml': configMap });
    const built = await build({ root, spec: { path: './apps', targetNamespace: 'prod', namePrefix: 'eu-' }, kustomize });

    const result = await decryptManifests(built, { sops, ageKeys: ageKeysOf({ 'old.agekey': wrong.identity, 'identity.agekey': right.identity }) });

    expect(result.decrypted).toEqual(['Secret/prod/eu-db']);
    const db = byKind(objects(result.manifests), 'Secret');
    expect(db).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'eu-db', namespace: 'prod' }, stringData: { password: 'hunter2' } });
    // The plain ConfigMap keeps its text.
    expect(result.manifests).toContain(built.split(/^---\n/m).find((part) => part.includes('kind: ConfigMap')));
    expect(findEncrypted(objects(result.manifests))).toBeUndefined();
  });

  it('decrypts secretGenerator env and binary files and patch files before the build, and only those', async () => {
    const certificate = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    const root = artifact({
      'apps/kustomization.yaml': [
        'resources: [settings.yaml]',
        'secretGenerator:',
        '  - name: app',
        '    envs: [app.env]',
        '    files: [tls.key=tls.key.enc, notes.txt]',
        'patches:',
        '  - path: settings-patch.yaml',
        '',
      ].join('\n'),
      'apps/settings.yaml': configMap,
      'apps/app.env': encrypt('USER=admin\nPASS=hunter2\n', right, 'dotenv'),
      'apps/tls.key.enc': encrypt(certificate, right, 'binary'),
      'apps/notes.txt': 'not encrypted\n',
      'apps/settings-patch.yaml': encrypt('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: secret-mode\n', right, 'yaml', '^data$'),
      // Another cluster's secret, for a key this Kustomization does not have.
      'clusters/staging/secret.yaml': encrypt(secret, wrong, 'yaml', dataOnly),
    });

    const decrypted = await decryptSources(root, 'apps', { sops, ageKeys: [right.identity] });

    expect(decrypted.sort()).toEqual(['apps/app.env', 'apps/settings-patch.yaml', 'apps/tls.key.enc']);
    expect(readFileSync(join(root, 'clusters/staging/secret.yaml'), 'utf8')).toContain('mac: ENC[');
    const built = objects(await build({ root, spec: { path: './apps' }, kustomize }));
    const data = byKind(built, 'Secret').data as Record<string, string>;
    expect(Buffer.from(data.USER!, 'base64').toString()).toBe('admin');
    expect(Buffer.from(data.PASS!, 'base64').toString()).toBe('hunter2');
    expect(Buffer.from(data['tls.key']!, 'base64')).toEqual(certificate);
    expect(Buffer.from(data['notes.txt']!, 'base64').toString()).toBe('not encrypted\n');
    expect(byKind(built, 'ConfigMap').data).toEqual({ mode: 'secret-mode' });
  });

  it('decrypts a Secret data value that is a sops document of its own', async () => {
    const encrypted = encrypt('password: hunter2\n', right, 'yaml');
    const manifests = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: apps\ndata:\n  config.yaml: ${Buffer.from(encrypted).toString('base64')}\n  plain: ${Buffer.from('x').toString('base64')}\n`;

    const result = await decryptManifests(manifests, { sops, ageKeys: [right.identity] });

    expect(result.decrypted).toEqual(['Secret/apps/app']);
    const data = objects(result.manifests)[0]!.data as Record<string, string>;
    expect(Buffer.from(data['config.yaml']!, 'base64').toString()).toBe('password: hunter2\n');
    expect(data.plain).toBe(Buffer.from('x').toString('base64'));
  });

  it('fails with a DecryptionError naming the file or object, and no key, for a wrong key', async () => {
    const root = artifact({ 'apps/kustomization.yaml': 'secretGenerator:\n  - name: app\n    envs: [app.env]\n', 'apps/app.env': encrypt('PASS=hunter2\n', right, 'dotenv') });
    const fromFile = await rejection(decryptSources(root, 'apps', { sops, ageKeys: [wrong.identity] }));
    expectNoSecrets(fromFile, 'hunter2');
    expect((fromFile as DecryptionError).subject).toBe("'apps/app.env'");
    expect((fromFile as Error).message).toBe(`failed to decrypt 'apps/app.env': no age key of the decryption Secret matches its recipients (${right.recipient})`);
    // The file is left encrypted.
    expect(readFileSync(join(root, 'apps/app.env'), 'utf8')).toContain('sops_mac=ENC[');

    const built = await build({ root: artifact({ 'apps/secret.yaml': encrypt(secret, right, 'yaml', dataOnly) }), spec: { path: './apps', targetNamespace: 'prod' }, kustomize });
    const fromObject = await rejection(decryptManifests(built, { sops, ageKeys: [wrong.identity] }));
    expectNoSecrets(fromObject, 'hunter2');
    expect((fromObject as Error).message).toMatch(/^failed to decrypt Secret\/prod\/db: no age key of the decryption Secret matches/);

    const noKeys = await rejection(decryptManifests(built, { sops, ageKeys: [] }));
    expect((noKeys as Error).message).toBe('failed to decrypt Secret/prod/db: no key given: the decryption Secret needs an entry whose name ends in .agekey (age) or .asc (PGP)');

    const malformed = await rejection(decryptManifests(built, { sops, ageKeys: ['AGE-SECRET-KEY-1NOTAKEY'] }));
    expectNoSecrets(malformed, 'NOTAKEY');
    expect((malformed as Error).message).toMatch(/^failed to decrypt Secret\/prod\/db: an age key of the decryption Secret is malformed/);
  });

  it('fails naming the object, and no key, for a wrong PGP key or one that needs a passphrase', async () => {
    const built = await build({ root: artifact({ 'apps/secret.yaml': encrypt(secret, rightPgp, 'yaml', dataOnly) }), spec: { path: './apps', targetNamespace: 'prod' }, kustomize });
    const withKeys = (armored: string) => ({ sops, ageKeys: [wrong.identity], pgpKeys: pgpKeysOf({ 'identity.asc': armored }, 'flux-system/sops-keys') });

    const wrongKey = await rejection(decryptManifests(built, withKeys(wrongPgp.armored)));
    expectNoSecrets(wrongKey, 'hunter2');
    expect((wrongKey as Error).message).toBe(`failed to decrypt Secret/prod/db: no key of the decryption Secret (age or PGP) matches its recipients (${rightPgp.fingerprint})`);

    const protectedKey = pgpKey({ passphrase: 'correct horse' });
    const forProtected = await build({ root: artifact({ 'apps/secret.yaml': encrypt(secret, protectedKey, 'yaml', dataOnly) }), spec: { path: './apps' }, kustomize });
    const needsPassphrase = await rejection(decryptManifests(forProtected, withKeys(protectedKey.armored)));
    expectNoSecrets(needsPassphrase, 'hunter2', 'correct horse');
    expect((needsPassphrase as Error).message).toBe('failed to decrypt Secret/db: a PGP key of the decryption Secret matches but is protected by a passphrase; its .asc entry needs the key without one');
  });

  it('fails naming the Secret entry, and none of its data, when an .asc entry is no PGP key', async () => {
    const built = await build({ root: artifact({ 'apps/secret.yaml': encrypt(secret, rightPgp, 'yaml', dataOnly) }), spec: { path: './apps' }, kustomize });
    const truncated = rightPgp.armored.slice(0, 400) + '\n-----END PGP PRIVATE KEY BLOCK-----\n';
    const pgpKeys = pgpKeysOf({ 'a-good.asc': rightPgp.armored, 'broken.asc': truncated }, 'flux-system/sops-keys');

    const error = await rejection(decryptManifests(built, { sops, ageKeys: [], pgpKeys }));
    expectNoSecrets(error, 'hunter2');
    expect((error as DecryptionError).subject).toBe("'broken.asc' data from sops decryption Secret 'flux-system/sops-keys'");
    expect((error as Error).message).toMatch(/^failed to import 'broken.asc' data from sops decryption Secret 'flux-system\/sops-keys': no valid OpenPGP data found; .*; an \.asc entry holds armored private keys/);

    const notAKey = await rejection(decryptSources(artifact({ 'apps/kustomization.yaml': 'resources: []\n' }), 'apps', { sops, ageKeys: [], pgpKeys: pgpKeysOf({ 'identity.asc': 'hunter2' }, 'apps/keys') }));
    expectNoSecrets(notAKey, 'hunter2');
    expect((notAKey as Error).message).toBe(
      "failed to import 'identity.asc' data from sops decryption Secret 'apps/keys': no valid OpenPGP data found; an .asc entry holds armored private keys, as `gpg --export-secret-keys --armor` writes them",
    );
  });

  it('decrypts with the age keys of the worker\'s --sops-age-secret when spec.decryption names no Secret, and only then', async () => {
    const root = artifact({ 'apps/secret.yaml': encrypt(secret, right, 'yaml', dataOnly) });
    const ref = { kind: 'Kustomization' as const, namespace: 'apps', name: 'apps' };
    const sopsAgeSecret = { namespace: 'flux-system', name: 'sops-age' };
    const render = (spec: Record<string, unknown>, secrets: Record<string, Record<string, string>>, flag: typeof sopsAgeSecret | undefined) =>
      renderKustomization({ root, ref, spec: { path: './apps', ...spec } as never, inputs: secretsOf(secrets), sopsAgeSecret: flag });
    const decryptedPassword = (rendering: Awaited<ReturnType<typeof render>>) => (rendering.ok ? rendering.objects[0]!.stringData : rendering.message);
    // Its `.asc` entries are not imported, as in Flux: this one would fail the import.
    const global = { 'flux-system/sops-age': { 'identity.agekey': right.identity, 'broken.asc': 'not a key' } };

    expect(decryptedPassword(await render({ decryption: { provider: 'sops' } }, global, sopsAgeSecret))).toEqual({ password: 'hunter2' });
    expect(decryptedPassword(await render({ decryption: { provider: 'sops' } }, {}, sopsAgeSecret))).toBe("decryption Secret 'flux-system/sops-age' not found");
    // With a secretRef, the Kustomization's own Secret decides.
    const own = { ...global, 'apps/sops-keys': { 'identity.agekey': wrong.identity } };
    expect(decryptedPassword(await render({ decryption: { provider: 'sops', secretRef: { name: 'sops-keys' } } }, own, sopsAgeSecret))).toMatch(/^failed to decrypt Secret\/db: no age key of the decryption Secret matches/);
    // Without the flag, as before: no keys.
    expect(decryptedPassword(await render({ decryption: { provider: 'sops' } }, global, undefined))).toMatch(/^failed to decrypt Secret\/db: no key given/);
  });

  it('builds again, not from the cache, when the PGP keys of the decryption Secret change', async () => {
    const root = artifact({ 'apps/secret.yaml': encrypt(secret, rightPgp, 'yaml', dataOnly) });
    const cache = { builds: createBuildCache(), digest: 'sha256:aa' };
    const render = (armored: string) =>
      renderKustomization({
        root,
        ref: { kind: 'Kustomization', namespace: 'apps', name: 'apps' },
        spec: { path: './apps', decryption: { provider: 'sops', secretRef: { name: 'sops-keys' } } } as never,
        inputs: secretsOf({ 'apps/sops-keys': { 'identity.asc': armored } }),
        cache,
      });
    expect(await render(rightPgp.armored)).toMatchObject({ ok: true });
    expect(await render(rightPgp.armored)).toMatchObject({ ok: true, fromCache: true });
    expect(await render(wrongPgp.armored)).toMatchObject({ ok: false, message: expect.stringMatching(/no key of the decryption Secret \(age or PGP\) matches/) });
  });

  it('fails without showing plaintext when an encrypted value was edited by hand', async () => {
    const encrypted = encrypt(secret, right, 'yaml', dataOnly);
    const edited = encrypted.replace(/password: ENC\[[^\]]*\]/, 'password: hunter3');
    const root = artifact({ 'apps/kustomization.yaml': 'patches:\n  - path: patch.yaml\n', 'apps/patch.yaml': edited });
    const error = await rejection(decryptSources(root, 'apps', { sops, ageKeys: [right.identity] }));
    expectNoSecrets(error, 'hunter3');
    expect((error as Error).message).toBe("failed to decrypt 'apps/patch.yaml': a value under an encrypted key is not sops-encrypted; was it edited by hand?");

    // A value moved to another key fails its AES-GCM check, which binds it to its key.
    const moved = encrypt('apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  a: one\n  b: two\n', right, 'yaml', dataOnly);
    const [, a, b] = /a: (ENC\[[^\]]*\])\n\s+b: (ENC\[[^\]]*\])/.exec(moved)!;
    const swapped = moved.replace(`a: ${a}`, 'a: @A@').replace(`b: ${b}`, `b: ${a}`).replace('a: @A@', `a: ${b}`);
    const built = await build({ root: artifact({ 'apps/secret.yaml': swapped }), spec: { path: './apps' }, kustomize });
    const tampered = await rejection(decryptManifests(built, { sops, ageKeys: [right.identity] }));
    expect((tampered as Error).message).toBe('failed to decrypt Secret/db: a value fails its integrity check; the encrypted data was changed');
  });

  it('finds an encrypted Secret that was built without decryption', async () => {
    const root = artifact({ 'apps/secret.yaml': encrypt(secret, right, 'yaml', dataOnly), 'apps/settings.yaml': configMap });
    const built = objects(await build({ root, spec: { path: './apps', targetNamespace: 'prod' }, kustomize }));
    expect(findEncrypted(built)).toBe('Secret/prod/db');

    // Opted out, or another kind that carries sops metadata to its own controller.
    const optedOut = built.map((object) => ({ ...object, metadata: { ...object.metadata, annotations: { 'kustomize.toolkit.fluxcd.io/decrypt': 'Disabled' } } }));
    expect(findEncrypted(optedOut)).toBeUndefined();
    const custom = built.map((object) => (object.kind === 'Secret' ? { ...object, apiVersion: 'isindir.github.com/v1alpha3', kind: 'SopsSecret' } : object));
    expect(findEncrypted(custom)).toBeUndefined();
  });

  it('leaves plain manifests and sources alone', async () => {
    const root = artifact({
      'apps/kustomization.yaml': 'resources: [settings.yaml]\nsecretGenerator:\n  - name: app\n    envs: [app.env]\n',
      'apps/settings.yaml': configMap,
      'apps/app.env': 'USER=admin\n',
    });
    expect(await decryptSources(root, 'apps', { sops, ageKeys: [right.identity] })).toEqual([]);
    expect(readFileSync(join(root, 'apps/app.env'), 'utf8')).toBe('USER=admin\n');

    const built = await build({ root, spec: { path: './apps' }, kustomize });
    expect(await decryptManifests(built, { sops, ageKeys: [right.identity] })).toEqual({ manifests: built, decrypted: [] });
    expect(findEncrypted(objects(built))).toBeUndefined();
  });
});
