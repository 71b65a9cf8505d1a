// Folders of files for tests that build from an unpacked artifact, and the objects a
// build prints.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '../../kube/objects.js';

/** A new temporary folder holding `files` (relative path → content). */
export function fileTree(files: Record<string, string | Buffer>, prefix = 'artifact-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** The objects of a multi-document YAML text. */
export const objectsOf = (yaml: string) => parseAllDocuments(yaml).map((document) => document.toJS() as KubernetesObject);
