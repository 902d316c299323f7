/**
 * The `<result>` messages fed back to the model as user turns, in the exact trained text (reference §5):
 * the repr of the assigned variables on success, `(None, {Type: message})` on failure.
 */
export function successObservation(variablesRepr: string, maxChars: number): string {
  return wrap(truncate(variablesRepr, maxChars));
}

export function errorObservation(error: string, maxChars: number): string {
  return wrap(`(None, {${truncate(error, maxChars)}})`);
}

/** What the model is told when its turn had the wrong shape, and what the right shapes are. */
export function formatErrorObservation(problem: string): string {
  return errorObservation(
    `FormatError: ${problem} A turn is either <think>…</think> followed by <python>code</python>, ` +
      'or <think>…</think> followed by <python></python> and <reply>answer</reply>.',
    Number.MAX_SAFE_INTEGER,
  );
}

function wrap(body: string): string {
  return `<result>\n${body}\n</result>`;
}

function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}…[truncated: ${text.length - maxChars} more characters; read less at once]`;
}
