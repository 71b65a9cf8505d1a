// A mistake in a GitRepository's spec is named by its field.
import { describe, expect, it } from '@jest/globals';
import { readGitRepositorySpec } from '../../domain/gitrepository-spec.js';

describe('GitRepository spec', () => {
  it('reads a typical spec with Flux defaults', () => {
    expect(readGitRepositorySpec({ url: 'ssh://git@github.com/org/fleet', interval: '1m', ref: { branch: 'main' }, secretRef: { name: 'flux-system' } })).toEqual({
      ok: true,
      spec: { url: 'ssh://git@github.com/org/fleet', intervalMs: 60_000, timeoutMs: 60_000, ref: { branch: 'main' }, secretName: 'flux-system', ignore: undefined, recurseSubmodules: false, suspend: false },
    });
  });

  it.each([
    [{ interval: '1m' }, 'spec.url: required'],
    [{ url: 'git@github.com:org/fleet', interval: '1m' }, "spec.url: 'git@github.com:org/fleet' must start with http://, https://, ssh:// or file://"],
    [{ url: 'https://x/y' }, 'spec.interval: required'],
    [{ url: 'https://x/y', interval: '1 minute' }, "spec.interval: '1 minute' is not a duration such as 1m or 1h30m"],
    [{ url: 'https://x/y', interval: '1m', timeout: 'soon' }, "spec.timeout: 'soon' is not a duration such as 60s"],
    [{ url: 'https://x/y', interval: '1m', ref: { branch: 3 } }, 'spec.ref.branch: must be a string'],
    [{ url: 'https://x/y', interval: '1m', secretRef: {} }, 'spec.secretRef.name: required when secretRef is set'],
    [{ url: 'https://x/y', interval: '1m', suspend: 'yes' }, 'spec.suspend: must be true or false'],
  ])('rejects %j', (spec, message) => {
    expect(readGitRepositorySpec(spec)).toMatchObject({ ok: false, message });
  });
});
