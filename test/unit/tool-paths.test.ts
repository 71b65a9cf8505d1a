// Where the external binaries are found: a user's own binary wins over the cache.
import { describe, expect, it } from '@jest/globals';
import { binaryPath, overrideVariable, readVersions, requireBinary } from '../../tools/paths.js';

describe('tool paths', () => {
  it('reads pinned versions from versions.env', () => {
    expect(readVersions('# comment\nKUBERNETES_VERSION=v1.34.4\n\nHELM_VERSION=v3.21.4\n')).toEqual({
      KUBERNETES_VERSION: 'v1.34.4',
      HELM_VERSION: 'v3.21.4',
    });
    expect(readVersions().KUBERNETES_VERSION).toMatch(/^v1\.34\.\d+$/);
  });

  it('finds a binary in the versioned cache', () => {
    const versions = readVersions();
    expect(binaryPath('kube-apiserver', { KIMBERNETES_TOOLS_DIR: '/cache' })).toBe(`/cache/kubernetes-${versions.KUBERNETES_VERSION}/kube-apiserver`);
    expect(binaryPath('kwokctl', { KIMBERNETES_TOOLS_DIR: '/cache' })).toBe(`/cache/kwok-${versions.KWOK_VERSION}/kwokctl`);
  });

  it('uses the binary a user points at', () => {
    expect(overrideVariable('kube-apiserver')).toBe('KIMBERNETES_KUBE_APISERVER_BIN');
    expect(binaryPath('kube-apiserver', { KIMBERNETES_KUBE_APISERVER_BIN: '/usr/local/bin/kube-apiserver' })).toBe('/usr/local/bin/kube-apiserver');
  });

  it('says how to get a missing binary', () => {
    expect(() => requireBinary('helm', { KIMBERNETES_TOOLS_DIR: '/nonexistent' })).toThrow(/npm run setup.*KIMBERNETES_HELM_BIN/);
  });
});
