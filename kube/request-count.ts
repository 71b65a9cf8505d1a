// Counts this process's requests to one API server, whichever client sends them (the
// throttled apply client, status patches, events, watches), from Node's own HTTP client
// channel. The worker reports the total when it stops; the bench reads it.
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export interface RequestCount {
  total(): number;
  /** by verb and collection (`GET /api/v1/configmaps`, names left out), most first */
  byKind(): Record<string, number>;
}

/** `PATCH /apis/apps/v1/deployments` for `PATCH /apis/apps/v1/namespaces/a/deployments/b?dryRun=All`. */
export function requestKind(method: string, path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const root = parts[0] === 'api' ? 2 : 3; // api/v1, apis/group/version
  const rest = parts.slice(root);
  if (rest[0] === 'namespaces' && rest.length > 2) rest.splice(0, 2);
  const collection = [...parts.slice(0, root), rest[0] ?? ''].join('/');
  const dryRun = /[?&]dryRun=/.test(path) ? ' (dry-run)' : '';
  const subresource = rest.length > 2 ? `/${rest.slice(2).join('/')}` : '';
  return `${method} /${collection}${subresource}${dryRun}`;
}

/** Counts requests whose Host header is `host` (host:port of the API server's URL). */
export function countRequestsTo(serverUrl: string): RequestCount {
  const host = new URL(serverUrl).host;
  let total = 0;
  const kinds = new Map<string, number>();
  const onRequest = (message: unknown) => {
    const request = (message as { request?: ClientRequest }).request;
    if (request?.getHeader('host') !== host) return;
    total += 1;
    const kind = requestKind(request.method, request.path);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  };
  subscribe('http.client.request.start', onRequest);
  return { total: () => total, byKind: () => Object.fromEntries([...kinds].sort((a, b) => b[1] - a[1])) };
}
