// The pure half of an OCIRepository reconcile, as source-controller's
// ocirepository_controller.go decides it with go-containerregistry: the repository the URL
// names, the tag a semver range chooses among the registry's tags, the revision of the
// artifact, and the layer of its manifest to store.
import { goRegExp } from './go-regexp.js';
import semver from 'semver';
import { parseFluxVersion } from './oci-reference.js';
import { parseVersionConstraint, satisfiesConstraint } from './semver-constraint.js';

/** A URL, tag or layer that cannot be used, in Flux's words. */
export class OciArtifactError extends Error {
  override readonly name = 'OciArtifactError';
}

export interface OciRepositoryAddress {
  /** `127.0.0.1:5000`, `ghcr.io`; Docker Hub's `index.docker.io` when the URL names none */
  host: string;
  /** `org/app`; Docker Hub's `library/` added to a single name, as go-containerregistry does */
  repository: string;
}

const repositoryChars = 'abcdefghijklmnopqrstuvwxyz0123456789_-./';
const dockerHub = 'index.docker.io';

/**
 * Flux's parseRepository with go-containerregistry's name.NewRepository: `oci://` then a
 * registry (a first part holding `.` or `:`, else Docker Hub) and a repository of
 * lower-case characters, with no tag or digest.
 */
export function parseOciRepositoryUrl(url: string): OciRepositoryAddress {
  if (!url.startsWith('oci://')) throw new OciArtifactError("URL must be in format 'oci://<domain>/<org>/<repo>'");
  const name = url.slice('oci://'.length);
  if (name === '') throw new OciArtifactError('a repository name must be specified');
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const namesRegistry = first.includes('.') || first.includes(':');
  // go-containerregistry's checkRegistry: a host and port, nothing more (no user:password@).
  if (namesRegistry && !isAuthority(first)) throw new OciArtifactError(`registries must be valid RFC 3986 URI authorities: ${first}`);
  const host = namesRegistry ? first : dockerHub;
  const path = namesRegistry ? name.slice(slash + 1) : name;
  const tag = /:([^/]*)$/.exec(path);
  if (tag) throw new OciArtifactError(`URL must not contain a tag; remove ':${tag[1]}'`);
  const digest = path.indexOf('@');
  if (digest >= 0) throw new OciArtifactError(`URL must not contain a digest; remove '${path.slice(digest)}'`);
  if (path.length < 2 || path.length > 255) throw new OciArtifactError(`repository must be between 2 and 255 characters in length: ${path}`);
  if ([...path].some((char) => !repositoryChars.includes(char))) throw new OciArtifactError(`repository can only contain the characters \`${repositoryChars}\`: ${path}`);
  return { host, repository: host === dockerHub && !path.includes('/') ? `library/${path}` : path };
}

/** A host (name, IPv4 or bracketed IPv6) and an optional port. */
function isAuthority(registry: string): boolean {
  return /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d+)?$/.test(registry);
}

/**
 * Flux's getTagBySemver: the tags `filter` (a regular expression) keeps, read as versions
 * (strict semver, a leading `v` allowed), the newest the range admits, as tagged.
 */
export function selectSemverTag(tags: readonly string[], range: string, filter?: string): string {
  const pattern = filter ? goRegExp(filter) : undefined;
  const kept = pattern ? tags.filter((tag) => pattern.test(tag)) : tags;
  const constraint = parseVersionConstraint(range);
  if (!constraint) throw new OciArtifactError(`semver '${range}' parse error: improper constraint: ${range}`);
  const matching = kept
    .map((tag) => ({ tag, version: parseFluxVersion(tag) }))
    .filter((entry): entry is { tag: string; version: semver.SemVer } => !!entry.version && satisfiesConstraint(entry.version, constraint));
  if (matching.length === 0) throw new OciArtifactError(`no match found for semver: ${range}`);
  matching.sort((a, b) => semver.rcompare(a.version, b.version));
  return matching[0]!.tag;
}

/** Flux's getRevision: `<tag>@sha256:<hex>`, or the digest alone for a digest reference. */
export function ociRevision(tag: string | undefined, digest: string): string {
  return tag === undefined ? digest : `${tag}@${digest}`;
}

/** The digest a revision ends with: the artifact's file is named after it. */
export function digestOfRevision(revision: string): string {
  return revision.slice(revision.lastIndexOf('@') + 1);
}

export interface OciLayer {
  mediaType?: string;
  digest: string;
  size?: number;
}

/** An image manifest's layers, or Flux's error when there are none (an index is not an artifact). */
export function manifestLayers(manifest: unknown, mediaType: string | undefined): OciLayer[] {
  const content = (manifest ?? {}) as { layers?: unknown; manifests?: unknown };
  if (Array.isArray(content.manifests) && !Array.isArray(content.layers)) {
    throw new OciArtifactError(`failed to parse artifact manifest: the reference names an image index of type '${mediaType ?? 'unknown'}', not an artifact`);
  }
  const layers = Array.isArray(content.layers) ? (content.layers as unknown[]) : [];
  return layers.filter((layer): layer is OciLayer => typeof (layer as OciLayer | null)?.digest === 'string' && /^sha256:[0-9a-f]{64}$/.test((layer as OciLayer).digest));
}

/** Flux's selectLayer: the first layer of `mediaType`, or the first layer when no type is asked for. */
export function selectLayer(layers: readonly OciLayer[], mediaType: string | undefined): OciLayer {
  if (layers.length === 0) throw new OciArtifactError('no layers found in artifact');
  if (!mediaType) return layers[0]!;
  const layer = layers.find((candidate) => candidate.mediaType === mediaType);
  if (!layer) throw new OciArtifactError(`failed to find layer with media type '${mediaType}' in artifact`);
  return layer;
}

/** The manifest's annotations (`org.opencontainers.image.source`, `…revision`, `…created`), which become artifact.metadata. */
export function manifestAnnotations(manifest: unknown): Record<string, string> | undefined {
  const annotations = (manifest as { annotations?: unknown } | null)?.annotations;
  if (!annotations || typeof annotations !== 'object') return undefined;
  const strings = Object.entries(annotations as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return strings.length > 0 ? Object.fromEntries(strings) : undefined;
}
