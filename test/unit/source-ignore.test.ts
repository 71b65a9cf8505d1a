// What goes into a GitRepository's artifact.
import { describe, expect, it } from '@jest/globals';
import { sourceIgnore } from '../../domain/source-ignore.js';

describe('source ignore rules', () => {
  it('leaves out VCS files, binaries and CI files by default', () => {
    const rules = sourceIgnore([], undefined);
    for (const path of ['.git/', '.gitignore', 'logo.png', 'charts/app.tar.gz', '.github/', 'deep/.sops.yaml', '.travis.yml']) {
      expect(rules.ignores(path)).toBe(true);
    }
    for (const path of ['apps/deploy.yaml', 'kustomization.yaml', 'README.md']) expect(rules.ignores(path)).toBe(false);
  });

  it('keeps only the VCS exclusions once the user gives patterns', () => {
    const rules = sourceIgnore([], '/docs/\n*.md\n# comment\n');
    expect(rules.ignores('docs/')).toBe(true);
    expect(rules.ignores('README.md')).toBe(true);
    expect(rules.ignores('.git/')).toBe(true);
    expect(rules.ignores('logo.png')).toBe(false);
  });

  it('scopes a nested .sourceignore to its folder', () => {
    const rules = sourceIgnore([{ dir: 'apps', content: 'secret.yaml\n/local/\n' }], undefined);
    expect(rules.ignores('apps/secret.yaml')).toBe(true);
    expect(rules.ignores('apps/x/secret.yaml')).toBe(true);
    expect(rules.ignores('secret.yaml')).toBe(false);
    expect(rules.ignores('apps/local/')).toBe(true);
    expect(rules.ignores('local/')).toBe(false);
  });

  it('lets spec.ignore re-include with negation', () => {
    const rules = sourceIgnore([], '*.yaml\n!apps/**/*.yaml\n');
    expect(rules.ignores('infra/x.yaml')).toBe(true);
    expect(rules.ignores('apps/a/x.yaml')).toBe(false);
  });
});
