// Go regular expressions (RE2), as Flux's fields carry them (Alert inclusion and exclusion
// lists, OCIRepository semverFilter, drift ignore rules), matched by RE2 itself (Google's
// WebAssembly build): Go's syntax (`(?i)`, `\z`, `[[:alpha:]]`), and time linear in the
// text, so an expression any object's author writes cannot stall the worker on a
// 39,000-character message the way a backtracking RegExp can.
import { RE2 } from 're2-wasm';

export interface GoRegExp {
  test(text: string): boolean;
}

/** Compiled expressions, by source: the same few recur on every event and reconcile. */
const compiled = new Map<string, GoRegExp>();
const maxCompiled = 1000;

/** The expression, whole-text anchored if asked; throws with the parser's words when it does not compile. */
export function goRegExp(source: string, anchored = false): GoRegExp {
  const pattern = anchored ? `^(?:${source})$` : source;
  let expression = compiled.get(pattern);
  if (!expression) {
    expression = new RE2(pattern, 'u');
    if (compiled.size >= maxCompiled) compiled.delete(compiled.keys().next().value!);
    compiled.set(pattern, expression);
  }
  return expression;
}
