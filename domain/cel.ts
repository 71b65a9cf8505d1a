// What every CEL expression of a Flux spec shares here: Kubernetes objects as CEL sees
// them, and the one line of a CEL error a status message can carry.

/** An object as CEL sees it: whole numbers are ints (bigint), as Kubernetes decodes them; absent fields are absent. */
export function celValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(celValue);
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).flatMap(([key, field]) => (field === undefined ? [] : [[key, celValue(field)]])));
  }
  return value;
}

/** The one-line reason of a CEL error, with its column: the library's message also draws the source. */
export function celErrorSummary(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { summary, range } = error as Error & { summary?: string; range?: { start: number } };
  const reason = summary ?? error.message.split('\n')[0]!;
  return range ? `${reason} at column ${range.start + 1}` : reason;
}
