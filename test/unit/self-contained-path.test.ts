import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { selfContainedPath } from '../../kustomize/build.js';

const root = mkdtempSync(join(tmpdir(), 'self-contained-'));
const write = (path: string, text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n') => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};
write('apps/plain/configmap.yaml');
write('apps/plain/more/secret.yaml');
write('apps/overlay/kustomization.yaml', 'resources: [../../base]\n');
write('apps/nested/deployment.yaml');
write('apps/nested/child/kustomization.yaml', 'resources: [../../../base]\n');
write('apps/linked/configmap.yaml');
symlinkSync('../../base', join(root, 'apps/linked/base'));
write('base/configmap.yaml');

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the folder a build reads alone', () => {
  it('is the path when it holds plain manifests only, at any depth', async () => {
    expect(await selfContainedPath(root, { path: './apps/plain' })).toBe('apps/plain');
    expect(await selfContainedPath(root, { path: 'apps/plain/more' })).toBe('apps/plain/more');
  });

  it('is none when a kustomization at or below the path may read outside it', async () => {
    expect(await selfContainedPath(root, { path: './apps/overlay' })).toBeUndefined();
    expect(await selfContainedPath(root, { path: './apps/nested' })).toBeUndefined();
  });

  it('is none with a symlink, with components, at the root, or for a path that is not there', async () => {
    expect(await selfContainedPath(root, { path: './apps/linked' })).toBeUndefined();
    expect(await selfContainedPath(root, { path: './apps/plain', components: ['../../base'] })).toBeUndefined();
    expect(await selfContainedPath(root, { path: './' })).toBeUndefined();
    expect(await selfContainedPath(root, { path: './missing' })).toBeUndefined();
  });
});
