// postBuild substitution of ${var} in built manifests.
import { describe, expect, it } from '@jest/globals';
import { substituteText, SubstitutionError, validVariableName } from '../../domain/substitute.js';

describe('postBuild substitution', () => {
  const variables = { cluster_name: 'production', replicas: '3' };

  it('replaces variables and applies defaults', () => {
    expect(substituteText('name: ${cluster_name}-app\nreplicas: ${replicas}\nregion: ${region:=eu-west-1}\n', variables, 'Deployment/apps/web')).toBe(
      'name: production-app\nreplicas: 3\nregion: eu-west-1\n',
    );
  });

  it('keeps an escaped $${var} as text', () => {
    expect(substituteText('script: echo $${HOME}', variables, 'ConfigMap/x')).toBe('script: echo ${HOME}');
  });

  it('names a variable that has no value and no default', () => {
    expect(() => substituteText('host: ${domain}', variables, 'Ingress/apps/web')).toThrow(
      new SubstitutionError("variable 'domain' in Ingress/apps/web has no value and no default"),
    );
  });

  it('accepts only shell-like variable names', () => {
    expect(validVariableName('cluster_name')).toBe(true);
    expect(validVariableName('cluster-name')).toBe(false);
    expect(validVariableName('1x')).toBe(false);
  });
});
