// How a worker process or the CLI finds Temporal and the cluster.
import { describe, expect, it } from '@jest/globals';
import { parseSettings, SettingsError } from '../../workers/settings.js';
import { allTaskQueues } from '../../common/task-queues.js';

describe('connection settings', () => {
  it('defaults to a local Temporal server and every pool', () => {
    const settings = parseSettings([], {});
    expect(settings.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default' });
    expect(settings.pools).toEqual([...allTaskQueues]);
    expect(settings.kubeconfig).toBeUndefined();
    expect(settings.storage).toEqual({ dir: expect.stringMatching(/kimbernetes\/artifacts$/), listen: '127.0.0.1:9090', advertisedUrl: undefined });
  });

  it('reads the task queue prefix, the watched namespace and a prebuilt workflow bundle', () => {
    const settings = parseSettings(['--task-queue-prefix', 'staging-', '--watch-namespace', 'flux-system'], { KIMBERNETES_WORKFLOW_BUNDLE: '/opt/bundle.js' });
    expect(settings).toMatchObject({ taskQueuePrefix: 'staging-', watchNamespace: 'flux-system', workflowBundlePath: '/opt/bundle.js' });
    expect(parseSettings([], {}).taskQueuePrefix).toBe('');
  });

  it('reads Flux\'s access flags: --no-cross-namespace-refs, --default-service-account, --no-remote-bases', () => {
    expect(parseSettings([], {}).access).toEqual({ noCrossNamespaceRefs: false, defaultServiceAccount: undefined, noRemoteBases: false });
    expect(parseSettings(['--no-cross-namespace-refs', '--default-service-account', 'tenant', '--no-remote-bases'], {}).access).toEqual({ noCrossNamespaceRefs: true, defaultServiceAccount: 'tenant', noRemoteBases: true });
    const fromEnv = parseSettings([], { KIMBERNETES_NO_CROSS_NAMESPACE_REFS: 'true', KIMBERNETES_DEFAULT_SERVICE_ACCOUNT: 'tenant', KIMBERNETES_NO_REMOTE_BASES: '1' }).access;
    expect(fromEnv).toEqual({ noCrossNamespaceRefs: true, defaultServiceAccount: 'tenant', noRemoteBases: true });
    expect(() => parseSettings([], { KIMBERNETES_NO_REMOTE_BASES: 'yes' })).toThrow("KIMBERNETES_NO_REMOTE_BASES: expected true or false, got 'yes'");
  });

  it('reads --sops-age-secret as a Secret of the namespace the worker runs in, flux-system by default', () => {
    expect(parseSettings([], {}).access.sopsAgeSecret).toBeUndefined();
    expect(parseSettings(['--sops-age-secret=sops-age'], {}).access.sopsAgeSecret).toEqual({ namespace: 'flux-system', name: 'sops-age' });
    expect(parseSettings([], { KIMBERNETES_SOPS_AGE_SECRET: 'sops-age', RUNTIME_NAMESPACE: 'kimbernetes-system' }).access.sopsAgeSecret).toEqual({ namespace: 'kimbernetes-system', name: 'sops-age' });
    expect(parseSettings(['--sops-age-secret', 'keys'], { KIMBERNETES_SOPS_AGE_SECRET: 'sops-age' }).access.sopsAgeSecret?.name).toBe('keys');
  });

  it('names artifact storage with Flux\'s flags', () => {
    const settings = parseSettings(['--storage-path', '/data', '--storage-addr', '0.0.0.0:9090', '--storage-adv-addr', 'source-controller.flux-system.svc'], {});
    expect(settings.storage).toEqual({ dir: '/data', listen: '0.0.0.0:9090', advertisedUrl: 'http://source-controller.flux-system.svc' });
  });

  it('limits requests to the API server as Flux\'s flags say, with Flux\'s defaults', () => {
    expect(parseSettings([], {}).kubeApi).toEqual({ qps: 50, burst: 300 });
    expect(parseSettings(['--kube-api-qps', '200'], { KIMBERNETES_KUBE_API_BURST: '400' }).kubeApi).toEqual({ qps: 200, burst: 400 });
    expect(() => parseSettings(['--kube-api-qps', 'fast'], {})).toThrow("--kube-api-qps must be a number above 0, got 'fast'");
  });

  it('reads the variables the temporal CLI reads', () => {
    const settings = parseSettings([], {
      TEMPORAL_ADDRESS: 'temporal.example:7233',
      TEMPORAL_NAMESPACE: 'gitops',
      TEMPORAL_TLS_CA: '/etc/temporal/ca.pem',
      TEMPORAL_API_KEY: 'secret-key',
    });
    expect(settings.temporal).toEqual({
      address: 'temporal.example:7233',
      namespace: 'gitops',
      tls: { caPath: '/etc/temporal/ca.pem' },
      apiKey: 'secret-key',
    });
  });

  it('prefers flags to the environment', () => {
    const settings = parseSettings(
      ['--temporal-address', 'flag:7233', '--kubeconfig', '/tmp/kubeconfig', '--pool', 'source-controller', '--pool', 'helm-controller'],
      { TEMPORAL_ADDRESS: 'env:7233', KIMBERNETES_POOLS: 'kustomize-controller' },
    );
    expect(settings.temporal.address).toBe('flag:7233');
    expect(settings.kubeconfig).toBe('/tmp/kubeconfig');
    expect(settings.pools).toEqual(['source-controller', 'helm-controller']);
  });

  it('takes pools from KIMBERNETES_POOLS', () => {
    expect(parseSettings([], { KIMBERNETES_POOLS: 'kustomize-controller, source-controller' }).pools).toEqual([
      'kustomize-controller',
      'source-controller',
    ]);
  });

  it('turns TLS on with --tls alone', () => {
    expect(parseSettings(['--tls'], {}).temporal.tls).toEqual({});
  });

  it('rejects an unknown pool, naming the valid ones', () => {
    expect(() => parseSettings(['--pool', 'kustomise-controller'], {})).toThrow(
      new SettingsError(`unknown pool kustomise-controller; pools are ${allTaskQueues.join(', ')}`),
    );
  });

  it('rejects a client certificate without its key', () => {
    expect(() => parseSettings(['--tls-cert-path', '/tmp/cert.pem'], {})).toThrow(SettingsError);
  });

  it('rejects an unknown flag', () => {
    expect(() => parseSettings(['--temporal-adress', 'x'], {})).toThrow(SettingsError);
  });

  it('reads Flux\'s --feature-gates, StrictPostBuildSubstitutions and AdditiveCELDependencyCheck off by default as in Flux v2.7', () => {
    expect(parseSettings([], {}).featureGates).toEqual({ StrictPostBuildSubstitutions: false, AdditiveCELDependencyCheck: false });
    expect(parseSettings(['--feature-gates=AdditiveCELDependencyCheck=true'], {}).featureGates.AdditiveCELDependencyCheck).toBe(true);
    expect(parseSettings(['--feature-gates=StrictPostBuildSubstitutions=true'], {}).featureGates.StrictPostBuildSubstitutions).toBe(true);
    expect(parseSettings([], { KIMBERNETES_FEATURE_GATES: ' StrictPostBuildSubstitutions = True ' }).featureGates.StrictPostBuildSubstitutions).toBe(true);
    expect(parseSettings(['--feature-gates', 'StrictPostBuildSubstitutions=1', '--feature-gates', 'StrictPostBuildSubstitutions=f'], {}).featureGates.StrictPostBuildSubstitutions).toBe(false);
  });

  it('refuses a feature gate it does not have, or one without a boolean', () => {
    expect(() => parseSettings(['--feature-gates=GroupChangeLog=true'], {})).toThrow(new SettingsError("feature-gate 'GroupChangeLog' not supported; supported: StrictPostBuildSubstitutions, AdditiveCELDependencyCheck"));
    expect(() => parseSettings(['--feature-gates=StrictPostBuildSubstitutions=yes'], {})).toThrow(new SettingsError('--feature-gates: invalid value of StrictPostBuildSubstitutions: yes'));
    expect(() => parseSettings(['--feature-gates=StrictPostBuildSubstitutions'], {})).toThrow(SettingsError);
  });
});
