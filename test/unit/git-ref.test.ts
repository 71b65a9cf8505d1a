// Which commit a GitRepository's ref selects, and how its revision is written.
import { describe, expect, it } from '@jest/globals';
import { commitOfRevision, resolveRef } from '../../domain/git-ref.js';

const sha = (c: string) => c.repeat(40);
const refs = new Map([
  ['HEAD', sha('a')],
  ['refs/heads/main', sha('a')],
  ['refs/heads/master', sha('b')],
  ['refs/tags/v1.0.0', sha('c')],
  ['refs/tags/v1.2.0', sha('d')], // annotated: the tag object
  ['refs/tags/v1.2.0^{}', sha('e')], // ...and the commit it points at
  ['refs/tags/v2.0.0-rc.1', sha('f')],
  ['refs/tags/not-a-version', sha('1')],
  ['refs/pull/1/head', sha('2')],
]);

describe('GitRepository ref resolution', () => {
  it('follows a branch', () => {
    expect(resolveRef({ branch: 'main' }, refs)).toEqual({
      kind: 'resolved', commit: sha('a'), revision: `main@sha1:${sha('a')}`, fetchRef: 'refs/heads/main',
    });
  });

  it('defaults to the master branch', () => {
    expect(resolveRef(undefined, refs)).toMatchObject({ revision: `master@sha1:${sha('b')}` });
  });

  it('peels an annotated tag to its commit', () => {
    expect(resolveRef({ tag: 'v1.2.0' }, refs)).toMatchObject({ commit: sha('e'), revision: `v1.2.0@sha1:${sha('e')}` });
  });

  it('keeps the tag object of an annotated tag, the one a tag signature is on; a lightweight tag has none', () => {
    expect(resolveRef({ tag: 'v1.2.0' }, refs)).toMatchObject({ tag: { name: 'v1.2.0', object: sha('d') } });
    expect(resolveRef({ semver: '~1.2' }, refs)).toMatchObject({ tag: { name: 'v1.2.0', object: sha('d') } });
    expect(resolveRef({ name: 'refs/tags/v1.2.0' }, refs)).toMatchObject({ tag: { name: 'v1.2.0', object: sha('d') } });
    expect(resolveRef({ tag: 'v1.0.0' }, refs)).toMatchObject({ tag: { name: 'v1.0.0' } });
    expect(resolveRef({ branch: 'main' }, refs)).not.toHaveProperty('tag');
  });

  it('picks the highest tag in a semver range, ignoring pre-releases and non-versions', () => {
    expect(resolveRef({ semver: '>=1.0.0' }, refs)).toMatchObject({ revision: `v1.2.0@sha1:${sha('e')}` });
    expect(resolveRef({ semver: '~1.0' }, refs)).toMatchObject({ revision: `v1.0.0@sha1:${sha('c')}` });
  });

  it('reads semver ranges as Flux (Masterminds semver) does: commas join, => and != are operators', () => {
    expect(resolveRef({ semver: '>=1.0.0, <1.2.0' }, refs)).toMatchObject({ revision: `v1.0.0@sha1:${sha('c')}` });
    expect(resolveRef({ semver: '=> 1.0.0, != 1.2.0' }, refs)).toMatchObject({ revision: `v1.0.0@sha1:${sha('c')}` });
    expect(resolveRef({ semver: '<1.0.0 || >=1.1, <2' }, refs)).toMatchObject({ revision: `v1.2.0@sha1:${sha('e')}` });
    expect(resolveRef({ semver: '1.0.0 - 1.1.9' }, refs)).toMatchObject({ revision: `v1.0.0@sha1:${sha('c')}` });
    expect(resolveRef({ semver: '>=2.0.0-rc.0' }, refs)).toMatchObject({ revision: `v2.0.0-rc.1@sha1:${sha('f')}` });
    // Masterminds (v3.4) admits a prerelease of any version when a comparator of the group names one (npm only of the same 2.0.0).
    expect(resolveRef({ semver: '>=1.0.0-0' }, refs)).toMatchObject({ revision: `v2.0.0-rc.1@sha1:${sha('f')}` });
    expect(resolveRef({ semver: '>=1.0.0-0 <3.0.0' }, refs)).toMatchObject({ revision: `v2.0.0-rc.1@sha1:${sha('f')}` });
    expect(resolveRef({ semver: '>=1.0.0 <3.0.0' }, refs)).toMatchObject({ revision: `v1.2.0@sha1:${sha('e')}` });
    expect(resolveRef({ semver: '>=1.0.0; <2' }, refs)).toEqual({ kind: 'notFound', message: "semver range '>=1.0.0; <2' is not valid" });
  });

  it('writes a full ref name for ref.name', () => {
    expect(resolveRef({ name: 'refs/pull/1/head' }, refs)).toMatchObject({ revision: `refs/pull/1/head@sha1:${sha('2')}` });
  });

  it('pins a commit, under its branch name when one is given', () => {
    expect(resolveRef({ commit: sha('9') }, refs)).toEqual({ kind: 'resolved', commit: sha('9'), revision: `sha1:${sha('9')}` });
    expect(resolveRef({ branch: 'main', commit: sha('9') }, refs)).toMatchObject({ revision: `main@sha1:${sha('9')}` });
  });

  it('applies the precedence of Flux\'s clone code: commit > name > tag > semver > branch', () => {
    const all = { branch: 'main', tag: 'v1.0.0', semver: '>=1.0.0', name: 'refs/pull/1/head', commit: sha('9') };
    expect(resolveRef(all, refs)).toMatchObject({ commit: sha('9') });
    expect(resolveRef({ ...all, commit: undefined }, refs)).toMatchObject({ commit: sha('2') });
    expect(resolveRef({ ...all, commit: undefined, name: undefined }, refs)).toMatchObject({ commit: sha('c') });
    expect(resolveRef({ ...all, commit: undefined, name: undefined, tag: undefined }, refs)).toMatchObject({ commit: sha('e') });
    expect(resolveRef({ branch: 'main', tag: 'v1.0.0' }, refs)).toMatchObject({ commit: sha('c') });
  });

  it('says what is missing', () => {
    expect(resolveRef({ branch: 'nope' }, refs)).toEqual({ kind: 'notFound', message: "branch 'nope' not found" });
    expect(resolveRef({ tag: 'v9' }, refs)).toEqual({ kind: 'notFound', message: "tag 'v9' not found" });
    expect(resolveRef({ semver: '>=3.0.0' }, refs)).toEqual({ kind: 'notFound', message: 'no match found for semver: >=3.0.0' });
    expect(resolveRef({ semver: 'not a range!' }, refs).kind).toBe('notFound');
    expect(resolveRef({ commit: 'abc' }, refs).kind).toBe('notFound');
  });

  it('reads the commit back from a revision', () => {
    expect(commitOfRevision(`main@sha1:${sha('a')}`)).toBe(sha('a'));
    expect(commitOfRevision(`sha1:${sha('b')}`)).toBe(sha('b'));
    expect(commitOfRevision('sha256:abc')).toBeUndefined();
  });
});
