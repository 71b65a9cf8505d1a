// Go regular expressions (RE2), as Flux's fields carry them, read by JavaScript's RegExp.
// The two agree on the syntax users write in these fields; Go's leading flag group
// `(?i)` (or `(?s)`, `(?m)`) has no JavaScript form and becomes the RegExp's flags.

export function goRegExp(source: string, anchored = false): RegExp {
  const flags = /^\(\?([ims]+)\)/.exec(source);
  const pattern = flags ? source.slice(flags[0].length) : source;
  return new RegExp(anchored ? `^(?:${pattern})$` : pattern, flags ? [...new Set(flags[1]!)].join('') : '');
}
