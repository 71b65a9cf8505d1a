// A GitRepository's spec, read from the live object and checked field by field, so a
// mistake is reported as `spec.interval: ...` on the object instead of failing later.
import { parseDuration } from './duration.js';
import type { GitRepositoryRef } from './git-ref.js';

export interface GitRepositorySpec {
  url: string;
  intervalMs: number;
  timeoutMs: number;
  ref?: GitRepositoryRef;
  secretName?: string;
  ignore?: string;
  recurseSubmodules: boolean;
  suspend: boolean;
}

export type SpecReading<T> = { ok: true; spec: T } | { ok: false; field: string; message: string };

const urlPattern = /^(https?|ssh|file):\/\/.+/;
const defaultTimeoutMs = 60_000;

type Fields = Record<string, unknown>;

export function readGitRepositorySpec(raw: unknown): SpecReading<GitRepositorySpec> {
  const spec = (raw ?? {}) as Fields;
  const fail = (field: string, message: string): SpecReading<GitRepositorySpec> => ({ ok: false, field, message: `spec.${field}: ${message}` });

  if (typeof spec.url !== 'string' || spec.url === '') return fail('url', 'required');
  if (!urlPattern.test(spec.url)) return fail('url', `'${spec.url}' must start with http://, https://, ssh:// or file://`);
  if (typeof spec.interval !== 'string') return fail('interval', 'required');
  const intervalMs = parseDuration(spec.interval);
  if (!intervalMs) return fail('interval', `'${spec.interval}' is not a duration such as 1m or 1h30m`);
  let timeoutMs = defaultTimeoutMs;
  if (spec.timeout !== undefined) {
    const parsed = typeof spec.timeout === 'string' ? parseDuration(spec.timeout) : undefined;
    if (!parsed) return fail('timeout', `'${String(spec.timeout)}' is not a duration such as 60s`);
    timeoutMs = parsed;
  }
  let ref: GitRepositoryRef | undefined;
  if (spec.ref !== undefined) {
    if (typeof spec.ref !== 'object' || spec.ref === null) return fail('ref', 'must be an object');
    ref = {};
    for (const key of ['branch', 'tag', 'semver', 'name', 'commit'] as const) {
      const value = (spec.ref as Fields)[key];
      if (value === undefined || value === '') continue;
      if (typeof value !== 'string') return fail(`ref.${key}`, 'must be a string');
      ref[key] = value;
    }
  }
  let secretName: string | undefined;
  if (spec.secretRef !== undefined) {
    const name = (spec.secretRef as Fields | null)?.name;
    if (typeof name !== 'string' || name === '') return fail('secretRef.name', 'required when secretRef is set');
    secretName = name;
  }
  if (spec.ignore !== undefined && typeof spec.ignore !== 'string') return fail('ignore', 'must be a string');
  for (const flag of ['recurseSubmodules', 'suspend'] as const) {
    if (spec[flag] !== undefined && typeof spec[flag] !== 'boolean') return fail(flag, 'must be true or false');
  }
  return {
    ok: true,
    spec: {
      url: spec.url,
      intervalMs,
      timeoutMs,
      ref,
      secretName,
      ignore: spec.ignore as string | undefined,
      recurseSubmodules: spec.recurseSubmodules === true,
      suspend: spec.suspend === true,
    },
  };
}
