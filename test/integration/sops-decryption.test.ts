// SOPS decryption with real age keys and the real sops and kustomize binaries: encrypted
// Secrets decrypt after the build (namespace and prefix included), generator sources and
// patch files before it, a wrong key or an edited value fails naming the file or object
// without showing keys or plaintext, and an encrypted Secret without decryption is found.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from '../../kustomize/build.js';
import { ageKeysOf, decryptManifests, decryptSources, DecryptionError, findEncrypted } from '../../kustomize/decrypt.js';
import { requireBinary } from '../../tools/paths.js';
import { fileTree, objectsOf } from '../harness/files.js';
import { ageKey, encrypt, type AgeKey } from '../harness/sops.js';
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

beforeAll(() => {
  right = ageKey();
  wrong = ageKey();
});

/** The messages a DecryptionError may carry must not hold these. */
function expectNoSecrets(error: unknown, ...plaintexts: string[]) {
  expect(error).toBeInstanceOf(DecryptionError);
  const message = (error as Error).message;
  for (const key of [right, wrong]) expect(message).not.toContain(key.identity.trim().split('\n').pop());
  expect(message).not.toMatch(/AGE-SECRET-KEY/i);
  for (const plaintext of plaintexts) expect(message).not.toContain(plaintext);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('SOPS decryption', () => {
  it('takes the age keys from the decryption Secret entries ending in .agekey', () => {
    expect(ageKeysOf({ 'identity.agekey': right.identity, 'old.agekey': wrong.identity, 'identity.asc': 'pgp', 'sops.vault-token': 'token' })).toEqual([
      right.identity,
      wrong.identity,
    ]);
    expect(ageKeysOf({ 'sops.aws-kms': 'aws' })).toEqual([]);
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
    expect((noKeys as Error).message).toBe('failed to decrypt Secret/prod/db: no age key given: the decryption Secret needs an entry whose name ends in .agekey');

    const malformed = await rejection(decryptManifests(built, { sops, ageKeys: ['AGE-SECRET-KEY-1NOTAKEY'] }));
    expectNoSecrets(malformed, 'NOTAKEY');
    expect((malformed as Error).message).toMatch(/^failed to decrypt Secret\/prod\/db: an age key of the decryption Secret is malformed/);
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
