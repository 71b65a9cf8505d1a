// postBuild variable substitution, as Flux does it: `${var}` and `${var:=default}` in the
// YAML text of the built manifests (so `replicas: ${count:=2}` becomes a number), from
// spec.postBuild.substitute and substituteFrom; `$${var}` is an escaped literal. A
// variable with neither a value nor a default is an error naming it, as with Flux's
// strict substitution: nothing half-substituted is ever applied.
const variablePattern = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}/g;
const namePattern = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

export class SubstitutionError extends Error {
  override readonly name = 'SubstitutionError';
  /** fixed by a change in Git or in the spec, not by retrying */
  readonly retryable = false;
}

export function validVariableName(name: string): boolean {
  return namePattern.test(name);
}

export function substituteText(text: string, variables: Readonly<Record<string, string>>, where: string): string {
  return text.replace(variablePattern, (whole, escaped: string, name: string, fallback: string | undefined) => {
    if (escaped) return whole.slice(1);
    const value = variables[name] ?? fallback;
    if (value === undefined) throw new SubstitutionError(`variable '${name}' in ${where} has no value and no default`);
    return value;
  });
}
