// The TLS options of a Temporal connection, from Settings; shared by the workers' native
// connection and the client connections of the CLI and the discovery, which must not
// load the worker's native runtime to get them.
import { readFile } from 'node:fs/promises';
import type { TemporalSettings } from '../workers/settings.js';

export async function tlsConfig(settings: TemporalSettings) {
  const tls = settings.tls;
  if (!tls) return undefined;
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.caPath ? await readFile(tls.caPath) : undefined,
    clientCertPair:
      tls.certPath && tls.keyPath ? { crt: await readFile(tls.certPath), key: await readFile(tls.keyPath) } : undefined,
  };
}
