// spec.healthCheckExprs: CEL expressions judging the health of custom resources.
import { describe, expect, it } from '@jest/globals';
import { compileHealthExpressions, expressionHealthOf, type CompiledHealthCheck } from '../../domain/health-expressions.js';
import { HealthStatus } from '../../domain/health.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { CustomHealthCheck } from '../../schemas/types.js';

const certificateCheck: CustomHealthCheck = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  inProgress: "status.conditions.exists(c, c.type == 'Issuing' && c.status == 'True')",
  failed: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'False' && c.reason == 'Failed')",
  current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
};

const databaseCheck: CustomHealthCheck = {
  apiVersion: 'db.example.com/v1alpha1',
  kind: 'Database',
  inProgress: 'has(status.pendingMigrations) && status.pendingMigrations > 0',
  failed: 'status.phase == "Error"',
  current: 'status.phase == "Ready"',
};

function compile(...entries: CustomHealthCheck[]): CompiledHealthCheck[] {
  const reading = compileHealthExpressions(entries);
  if (!reading.ok) throw new Error(reading.message);
  return reading.checks;
}

const certificate = (status?: Record<string, unknown>): KubernetesObject => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'web-tls', namespace: 'apps', generation: 1 },
  spec: { secretName: 'web-tls', dnsNames: ['web.example.com'], issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt' } },
  ...(status ? { status } : {}),
});

const database = (status: Record<string, unknown>, generation = 4): KubernetesObject => ({
  apiVersion: 'db.example.com/v1alpha1',
  kind: 'Database',
  metadata: { name: 'orders', namespace: 'shop', generation },
  spec: { engine: 'postgres', version: '16' },
  status: { observedGeneration: 4, ...status },
});

describe('health check expressions', () => {
  it('a Certificate is current once its Ready condition is True', () => {
    const checks = compile(certificateCheck);
    const ready = certificate({ conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' }] });
    expect(expressionHealthOf(ready, checks)).toEqual({
      status: HealthStatus.Current,
      message: `current expression '${certificateCheck.current}' is true`,
    });
  });

  it('a Certificate is in progress while it is issued, and failed when issuing failed', () => {
    const checks = compile(certificateCheck);
    const issuing = certificate({
      conditions: [
        { type: 'Ready', status: 'False', reason: 'DoesNotExist' },
        { type: 'Issuing', status: 'True', reason: 'DoesNotExist' },
      ],
    });
    expect(expressionHealthOf(issuing, checks)).toEqual({ status: HealthStatus.InProgress, message: `inProgress expression '${certificateCheck.inProgress}' is true` });

    const failed = certificate({ conditions: [{ type: 'Ready', status: 'False', reason: 'Failed', message: 'ACME order failed' }] });
    expect(expressionHealthOf(failed, checks)).toEqual({ status: HealthStatus.Failed, message: `failed expression '${certificateCheck.failed}' is true` });
  });

  it('is in progress when no expression is true', () => {
    const health = expressionHealthOf(database({ phase: 'Provisioning' }), compile(databaseCheck));
    expect(health).toEqual({ status: HealthStatus.InProgress, message: `current expression 'status.phase == "Ready"' is false` });
  });

  it('evaluates inProgress, then failed, then current: the first true one decides', () => {
    const checks = compile(databaseCheck);
    expect(expressionHealthOf(database({ phase: 'Ready' }), checks)?.status).toBe(HealthStatus.Current);
    // Ready, but a migration is still running: inProgress comes first.
    expect(expressionHealthOf(database({ phase: 'Ready', pendingMigrations: 2 }), checks)?.status).toBe(HealthStatus.InProgress);
    // failed before current, when both would be true
    const both = compile({ ...databaseCheck, failed: 'status.?lastError.orValue("") != ""', current: 'status.phase == "Ready"' });
    expect(expressionHealthOf(database({ phase: 'Ready', lastError: 'disk full' }), both)).toEqual({
      status: HealthStatus.Failed,
      message: `failed expression 'status.?lastError.orValue("") != ""' is true`,
    });
  });

  it('judges only inProgress, failed and current that are given', () => {
    const checks = compile({ apiVersion: 'db.example.com/v1alpha1', kind: 'Database', current: 'status.phase == "Ready"' });
    expect(expressionHealthOf(database({ phase: 'Error' }), checks)?.status).toBe(HealthStatus.InProgress);
    expect(expressionHealthOf(database({ phase: 'Ready' }), checks)?.status).toBe(HealthStatus.Current);
  });

  it('an object whose observedGeneration lags is in progress, whatever the expressions say', () => {
    const checks = compile(databaseCheck);
    const stale = database({ phase: 'Ready', observedGeneration: 3 }, 4);
    expect(expressionHealthOf(stale, checks)).toEqual({ status: HealthStatus.InProgress, message: 'Database generation 4 not yet observed' });
    // and nothing is evaluated yet: a field the expressions need may still be missing
    expect(expressionHealthOf({ ...database({}, 5), status: { observedGeneration: 4 } }, checks)?.message).toBe('Database generation 5 not yet observed');
  });

  it('an expression that cannot be evaluated keeps the object in progress, and says why', () => {
    const checks = compile(certificateCheck);
    // Just created: cert-manager has not written a status yet.
    const fresh = expressionHealthOf(certificate(), checks);
    expect(fresh?.status).toBe(HealthStatus.InProgress);
    expect(fresh?.message).toMatch(/^cannot evaluate inProgress expression '.*': Unknown variable: status/);

    const noConditions = expressionHealthOf(certificate({}), checks);
    expect(noConditions?.status).toBe(HealthStatus.InProgress);
    expect(noConditions?.message).toMatch(/^cannot evaluate inProgress expression '.*': No such key: conditions/);
  });

  it('an evaluation error stops the evaluation: a later true expression does not decide', () => {
    const checks = compile({ ...databaseCheck, inProgress: 'status.migration.pending' });
    const health = expressionHealthOf(database({ phase: 'Ready' }), checks);
    expect(health?.status).toBe(HealthStatus.InProgress);
    expect(health?.message).toMatch(/^cannot evaluate inProgress expression 'status.migration.pending': No such key: migration/);
  });

  it('a result that is not a bool is an evaluation error', () => {
    const checks = compile({ apiVersion: 'db.example.com/v1alpha1', kind: 'Database', current: 'status.phase' });
    expect(expressionHealthOf(database({ phase: 'Ready' }), checks)).toEqual({
      status: HealthStatus.InProgress,
      message: "cannot evaluate current expression 'status.phase': the result is a string, not a bool",
    });
  });

  it('matches by API group and kind, whatever the version', () => {
    const checks = compile(certificateCheck);
    expect(expressionHealthOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, checks)).toBeUndefined();
    expect(expressionHealthOf({ apiVersion: 'certificates.example.com/v1', kind: 'Certificate', metadata: { name: 'web' } }, checks)).toBeUndefined();
    const older = { ...certificate({ conditions: [{ type: 'Ready', status: 'True' }] }), apiVersion: 'cert-manager.io/v1beta1' };
    expect(expressionHealthOf(older, checks)?.status).toBe(HealthStatus.Current);
  });

  it('a core kind has the empty group', () => {
    const checks = compile({ apiVersion: 'v1', kind: 'ConfigMap', current: 'has(data.ready) && data.ready == "true"' });
    const configMap = (data: Record<string, string>): KubernetesObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flags' }, data });
    expect(expressionHealthOf(configMap({ ready: 'true' }), checks)?.status).toBe(HealthStatus.Current);
    expect(expressionHealthOf(configMap({}), checks)?.status).toBe(HealthStatus.InProgress);
  });

  it('understands the CEL Flux users write', () => {
    const redis = (status: Record<string, unknown>): KubernetesObject => ({
      apiVersion: 'cache.example.com/v1',
      kind: 'RedisCluster',
      metadata: { name: 'sessions', namespace: 'shop', generation: 2, labels: { app: 'sessions', tier: 'cache' } },
      spec: { replicas: 3, selector: { matchLabels: { app: 'sessions' } } },
      status: { observedGeneration: 2, ...status },
    });
    const current = (expression: string, status: Record<string, unknown>) =>
      expressionHealthOf(redis(status), compile({ apiVersion: 'cache.example.com/v1', kind: 'RedisCluster', current: expression }))?.status;
    const conditions = [
      { type: 'Ready', status: 'True' },
      { type: 'Synced', status: 'True' },
    ];

    // Flux's cheatsheet: filter, then all
    expect(current("status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')", { conditions })).toBe(HealthStatus.Current);
    expect(current("status.conditions.exists(c, c.type == 'Synced' && c.status == 'False')", { conditions })).toBe(HealthStatus.InProgress);
    // has() on a field that may not be there yet, optional fields
    expect(current('has(status.leader) && status.leader.startsWith("sessions-")', {})).toBe(HealthStatus.InProgress);
    expect(current('has(status.leader) && status.leader.startsWith("sessions-")', { leader: 'sessions-0' })).toBe(HealthStatus.Current);
    expect(current("status.?conditions.orValue([]).exists(c, c.type == 'Ready')", {})).toBe(HealthStatus.InProgress);
    // whole numbers are ints, and compare with doubles
    expect(current('status.readyReplicas == spec.replicas && status.readyReplicas + 1 > 3', { readyReplicas: 3 })).toBe(HealthStatus.Current);
    expect(current('status.readyReplicas >= 2.5', { readyReplicas: 2 })).toBe(HealthStatus.InProgress);
    // strings and nested maps
    expect(current('status.phase in ["Running", "Degraded"] && status.phase.lowerAscii() != "degraded"', { phase: 'Running' })).toBe(HealthStatus.Current);
    expect(current('status.version >= "7.2"', { version: '7.4.1' })).toBe(HealthStatus.Current);
    expect(current('status.selector == spec.selector && status.selector == {"matchLabels": {"app": "sessions"}}', { selector: { matchLabels: { app: 'sessions' } } })).toBe(
      HealthStatus.Current,
    );
    expect(current('status.labels == metadata.labels', { labels: { app: 'sessions' } })).toBe(HealthStatus.InProgress);
  });
});

describe('invalid health check expressions', () => {
  it('names the field and the parse error', () => {
    const reading = compileHealthExpressions([certificateCheck, { ...databaseCheck, current: 'status.phase ==' }]);
    expect(reading).toEqual({
      ok: false,
      message: "spec.healthCheckExprs[1].current: invalid CEL expression 'status.phase ==': Unexpected token: EOF at column 16",
    });
  });

  it('rejects an expression that could never give a health', () => {
    const message = (entry: Partial<CustomHealthCheck>) => {
      const reading = compileHealthExpressions([{ ...databaseCheck, ...entry }]);
      return reading.ok ? undefined : reading.message;
    };
    expect(message({ failed: 'has(status) && status.phase == "Error"' })).toMatch(/^spec\.healthCheckExprs\[0\]\.failed: invalid CEL expression .*has\(\) invalid argument/);
    expect(message({ inProgress: 'status.phase.isPending()' })).toMatch(/^spec\.healthCheckExprs\[0\]\.inProgress: invalid CEL expression .*no matching overload/);
    expect(message({ current: 'size(status.conditions)' })).toBe("spec.healthCheckExprs[0].current: CEL expression 'size(status.conditions)' gives int, not a bool");
    expect(message({ current: '' })).toBe('spec.healthCheckExprs[0].current: a CEL expression is required');
  });

  it('allows one check per API group and kind', () => {
    const reading = compileHealthExpressions([certificateCheck, databaseCheck, { ...certificateCheck, apiVersion: 'cert-manager.io/v1beta1' }]);
    expect(reading).toEqual({
      ok: false,
      message: 'spec.healthCheckExprs[2]: a second health check for Certificate.cert-manager.io, which spec.healthCheckExprs[0] already has',
    });
  });

  it('accepts no expressions at all', () => {
    expect(compileHealthExpressions([])).toEqual({ ok: true, checks: [] });
  });

  it("judges every kind of a group by an entry without a kind, unless an entry names the kind (a HelmRelease's)", () => {
    const checks = compile(
      { apiVersion: 'db.example.com/v1', current: 'status.phase == "Ready"' },
      { apiVersion: 'db.example.com/v1', kind: 'Database', current: 'status.phase == "Up"' },
    );
    const of = (kind: string, phase: string): KubernetesObject => ({ apiVersion: 'db.example.com/v1alpha1', kind, metadata: { name: 'x', namespace: 'apps' }, status: { phase } });
    expect(expressionHealthOf(of('Backup', 'Ready'), checks)?.status).toBe(HealthStatus.Current);
    expect(expressionHealthOf(of('Database', 'Ready'), checks)?.status).toBe(HealthStatus.InProgress);
    expect(expressionHealthOf(of('Database', 'Up'), checks)?.status).toBe(HealthStatus.Current);
    expect(expressionHealthOf({ ...of('Backup', 'Ready'), apiVersion: 'other.example.com/v1' }, checks)).toBeUndefined();
    const twice = compileHealthExpressions([{ apiVersion: 'db.example.com/v1', current: 'true' }, { apiVersion: 'db.example.com/v2', current: 'true' }]);
    expect(twice).toEqual({ ok: false, message: 'spec.healthCheckExprs[1]: a second health check for *.db.example.com, which spec.healthCheckExprs[0] already has' });
  });
});
