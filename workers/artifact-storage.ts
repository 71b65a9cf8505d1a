// The source-controller pool's artifact storage: a folder and the HTTP server that
// serves it, advertised under a URL other workers can reach.
import { mkdirSync } from 'node:fs';
import { ArtifactStore } from '../artifacts/store.js';
import { startArtifactServer, type ArtifactServer } from '../artifacts/server.js';

export interface StorageSettings {
  /** folder of the artifact store */
  dir: string;
  /** host:port to listen on; port 0 picks a free one */
  listen: string;
  /** base URL other machines use; defaults to http://<listen> */
  advertisedUrl?: string;
}

export async function startArtifactStorage(settings: StorageSettings): Promise<{ store: ArtifactStore; server: ArtifactServer }> {
  mkdirSync(settings.dir, { recursive: true });
  const [host, port] = splitHostPort(settings.listen);
  const server = await startArtifactServer(settings.dir, { host, port });
  return { store: new ArtifactStore(settings.dir, settings.advertisedUrl ?? server.url), server };
}

function splitHostPort(listen: string): [string, number] {
  const index = listen.lastIndexOf(':');
  if (index < 0) return [listen, 0];
  return [listen.slice(0, index) || '127.0.0.1', Number(listen.slice(index + 1))];
}
