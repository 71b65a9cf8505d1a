// Helm v3's release storage, as its Secret driver writes it: the release as JSON,
// gzipped and base64-encoded, in `sh.helm.release.v1.<name>.v<version>` of the storage
// namespace, labelled with its name, owner, status and version. Read to know the latest
// release without running helm, and written for one thing only: unlocking a release left
// `pending-*` by a worker that died mid-action, as Flux's unlock does.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { StoredRelease } from '../domain/helmrelease-digest.js';

export function releaseSecretName(name: string, version: number): string {
  return `sh.helm.release.v1.${name}.v${version}`;
}

/** The release inside a Secret's `release` value (as the API's base64 decoding gives it). */
export function decodeRelease(value: string): StoredRelease {
  const bytes = gunzipIfZipped(Buffer.from(value, 'base64'));
  return JSON.parse(bytes.toString('utf8')) as StoredRelease;
}

/** The `release` value Helm would write for `release`: base64 of the gzipped JSON. */
export function encodeRelease(release: StoredRelease): string {
  return gzipSync(Buffer.from(JSON.stringify(release))).toString('base64');
}

/** Helm reads releases it wrote before it compressed them, too. */
function gunzipIfZipped(bytes: Buffer): Buffer {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

export const pendingStatuses = new Set(['pending-install', 'pending-upgrade', 'pending-rollback']);
