// Downloading an artifact by URL and unpacking it, refusing one whose digest does not
// match what the source recorded (a corrupted or replaced file).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { extract } from 'tar';
import { FailureType, type TypedFailure } from '../common/failures.js';

export class ArtifactError extends Error implements TypedFailure {
  override readonly name = 'ArtifactError';
  readonly failureType = FailureType.Artifact;
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

/** Downloads `url` into `destination` (a new folder) after checking `digest` (`sha256:<hex>`). */
export async function fetchArtifact(url: string, digest: string, destination: string): Promise<void> {
  const expected = expectedHex(digest);
  const response = await requestArtifact(url);
  await mkdir(destination, { recursive: true });
  const archive = join(destination, '..', `.artifact-${expected.slice(0, 12)}.tar.gz`);
  const hash = createHash('sha256');
  const body = Readable.fromWeb(response.body as ReadableStream);
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  try {
    await pipeline(body, createWriteStream(archive));
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new ArtifactError(`artifact from ${url} has digest sha256:${actual}, expected ${digest}`, true);
    }
    await extract({ file: archive, cwd: destination, strict: true });
  } finally {
    await rm(archive, { force: true });
  }
}

/** Downloads the single-file artifact at `url` (a Helm index), checking `digest`. */
export async function fetchArtifactBytes(url: string, digest: string): Promise<Buffer> {
  const expected = expectedHex(digest);
  const bytes = Buffer.from(await (await requestArtifact(url)).arrayBuffer());
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) throw new ArtifactError(`artifact from ${url} has digest sha256:${actual}, expected ${digest}`, true);
  return bytes;
}

function expectedHex(digest: string): string {
  const [algorithm, expected] = digest.split(':');
  if (algorithm !== 'sha256' || !expected) throw new ArtifactError(`unsupported artifact digest '${digest}'`, false);
  return expected;
}

async function requestArtifact(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ArtifactError(`failed to download artifact from ${url}: ${(error as Error).message}`, true);
  }
  if (!response.ok || !response.body) {
    throw new ArtifactError(`failed to download artifact from ${url}: HTTP ${response.status}`, response.status >= 500);
  }
  return response;
}
