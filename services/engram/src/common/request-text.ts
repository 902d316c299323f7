/** Strings a request may carry into the store: what every body, query, path and form value is held to. */

/** A lone UTF-16 surrogate: JSON may spell one (`"\ud800"`), but it has no UTF-8 form to store. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Whether a string holds a lone surrogate (a paired one is a character outside the BMP, and fine). */
export function holdsLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * What makes a string unstorable, or undefined: a lone surrogate, or a NUL character, which PostgreSQL
 * text cannot hold (a tag, a key name or a lookup holding one failed there with a 500). Refused on both
 * backends alike, so a request means the same on either.
 */
export function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'holds a NUL character (\\u0000)';
  if (holdsLoneSurrogate(text)) return 'holds a lone UTF-16 surrogate (\\ud800-\\udfff)';
  return undefined;
}

/** Named values of a query string, a path or a form: each a string, or several for a repeated name. */
export type RequestValues = Record<string, string | string[] | undefined>;

/** The first name or value of `values` that textProblem refuses, described; undefined when all are fine. */
export function valuesProblem(part: string, values: RequestValues | undefined): string | undefined {
  for (const [name, value] of Object.entries(values ?? {})) {
    const nameProblem = textProblem(name);
    if (nameProblem) return `${part} name ${JSON.stringify(name)} ${nameProblem}`;
    for (const one of [value ?? ''].flat()) {
      const problem = textProblem(one);
      if (problem) return `${part} ${name} ${problem}`;
    }
  }
  return undefined;
}
