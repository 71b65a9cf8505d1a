// The `.spec` schemas of our CRDs (schemas/*.yaml), read once, so a spec is checked
// against the very definition the API server enforces.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateSchema, type SchemaError, type SchemaNode } from '../domain/schema-validation.js';
import { projectFile } from '../common/project-files.js';

const schemasDir = projectFile('schemas') + '/';

interface CustomResourceDefinition {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: SchemaNode } }[];
  };
}

/** `Kind.group` → served version → spec schema, in the CRD's version order. */
type SpecSchemas = Map<string, Map<string, SchemaNode>>;

let loaded: SpecSchemas | undefined;

function specSchemas(): SpecSchemas {
  loaded ??= loadSpecSchemas();
  return loaded;
}

function loadSpecSchemas(): SpecSchemas {
  const schemas: SpecSchemas = new Map();
  for (const file of readdirSync(schemasDir).filter((name) => name.endsWith('.yaml')).sort()) {
    const crd = parse(readFileSync(join(schemasDir, file), 'utf8')) as CustomResourceDefinition;
    const versions = new Map<string, SchemaNode>();
    for (const version of crd.spec.versions) {
      const spec = version.schema?.openAPIV3Schema?.properties?.spec;
      if (version.served && spec) versions.set(version.name, spec);
    }
    schemas.set(groupKind(crd.spec.group, crd.spec.names.kind), versions);
  }
  return schemas;
}

function groupKind(group: string, kind: string): string {
  return `${kind}.${group}`;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  // `v1` alone is the core group, which has no CRDs
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The OpenAPI schema of `.spec` for a kind in a served version; undefined when there is none. */
export function specSchemaFor(apiVersion: string, kind: string): SchemaNode | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  return specSchemas().get(groupKind(group, kind))?.get(version);
}

/** The problems of an object's `.spec`, or one naming its apiVersion or kind when no CRD serves it. */
export function validateSpec(object: { apiVersion: string; kind: string; spec?: unknown }): SchemaError[] {
  const { apiVersion, kind } = object;
  const { group, version } = splitApiVersion(apiVersion);
  const versions = specSchemas().get(groupKind(group, kind));
  if (!versions) return [{ path: 'kind', message: `kind: no CustomResourceDefinition defines ${kind} in ${apiVersion}` }];
  const schema = versions.get(version);
  if (!schema) {
    return [{ path: 'apiVersion', message: `apiVersion: ${kind} is not served as ${apiVersion}; served versions are ${[...versions.keys()].join(', ')}` }];
  }
  // An absent spec is an empty one: its required fields are what the user must hear about.
  return validateSchema(object.spec ?? {}, schema, 'spec');
}
