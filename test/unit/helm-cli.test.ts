// Helm's error text as a HelmRelease's status shows it: the CLI's prefixes off, its
// multi-error lines and a post-renderer's own words kept.
import { describe, expect, it } from '@jest/globals';
import { helmError } from '../../helm/helm-cli.js';

describe('helm errors', () => {
  it('takes off the CLI prefixes and leaves warnings out', () => {
    expect(helmError('WARNING: Kubernetes configuration file is group-readable.\nError: UPGRADE FAILED: template: demo/templates/x.yaml:3: message is required\n')).toBe('template: demo/templates/x.yaml:3: message is required');
  });

  it("keeps Helm's multi-error lines", () => {
    expect(helmError('Error: 1 error occurred:\n\t* job tested-fails failed: DeadlineExceeded\n\n')).toBe('1 error occurred:\n\t* job tested-fails failed: DeadlineExceeded');
  });

  it("keeps a post-renderer's message and drops the program's path", () => {
    const stderr = 'Error: INSTALLATION FAILED: error while running post render on files: error while running command /usr/bin/node. error output:\nspec.postRenderers[0].kustomize: no matches for Id Deployment.v1.apps/missing\n: exit status 1\n';
    expect(helmError(stderr)).toBe('error while running post render on files: spec.postRenderers[0].kustomize: no matches for Id Deployment.v1.apps/missing');
  });
});
