// A mistake in a GitRepository's spec is named by its field.
import { describe, expect, it } from '@jest/globals';
import { readGitRepositorySpec } from '../../domain/gitrepository-spec.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';

describe('GitRepository spec', () => {
  const schema = specSchemaFor('source.toolkit.fluxcd.io/v1', 'GitRepository')!;

  it('reads a typical spec with Flux defaults', () => {
    expect(readGitRepositorySpec({ url: 'ssh://git@github.com/org/fleet', interval: '1m', ref: { branch: 'main' }, secretRef: { name: 'flux-system' } }, schema)).toEqual({
      ok: true,
      spec: { url: 'ssh://git@github.com/org/fleet', intervalMs: 60_000, timeoutMs: 60_000, ref: { branch: 'main' }, secretName: 'flux-system', ignore: undefined, recurseSubmodules: false, suspend: false, include: [] },
    });
  });

  it.each([
    [{ interval: '1m' }, 'spec.url: required'],
    [{ url: 'git@github.com:org/fleet', interval: '1m' }, 'spec.url: must match ^(http|https|ssh|file)://.*$, got "git@github.com:org/fleet"'],
    [{ url: 'https://x/y' }, 'spec.interval: required'],
    [{ url: 'https://x/y', interval: '1 minute' }, 'spec.interval: must match ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$, got "1 minute"'],
    [{ url: 'https://x/y', interval: '1m', timeout: 'soon' }, 'spec.timeout: must match ^([0-9]+(\\.[0-9]+)?(ms|s|m))+$, got "soon"'],
    [{ url: 'https://x/y', interval: '1m', ref: { branch: 3 } }, 'spec.ref.branch: must be a string, got 3'],
    [{ url: 'https://x/y', interval: '1m', secretRef: {} }, 'spec.secretRef.name: required'],
    [{ url: 'https://x/y', interval: '1m', suspend: 'yes' }, 'spec.suspend: must be a boolean, got "yes"'],
    [{ url: 'https://x/y', interval: '0s' }, 'spec.interval: must be longer than 0s, got "0s"'],
    [{ url: 'https://x/y', interval: '1m', secretRef: { name: '' } }, 'spec.secretRef.name: required'],
    [{ url: 'git@github.com:org/fleet' }, 'spec.interval: required; spec.url: must match ^(http|https|ssh|file)://.*$, got "git@github.com:org/fleet"'],
  ])('rejects %j', (spec, message) => {
    expect(readGitRepositorySpec(spec, schema)).toMatchObject({ ok: false, message });
  });

  it('names the first invalid field, so a bad URL is told apart from other mistakes', () => {
    expect(readGitRepositorySpec({ url: 'git@github.com:org/fleet', interval: '1m' }, schema)).toMatchObject({ ok: false, field: 'url' });
    expect(readGitRepositorySpec({ url: 'https://x/y', interval: '1m', ref: { branch: 3 } }, schema)).toMatchObject({ ok: false, field: 'ref.branch' });
  });
});
