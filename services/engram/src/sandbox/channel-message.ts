/**
 * Most members (of arrays and objects, together) one message from the sandbox may hold. Messages are
 * parsed on the api's event loop, where JSON.parse costs about a microsecond a member: a 16 MiB line of
 * `[],` held every request for seconds. The harness's own messages hold a few dozen at most (the
 * probe's checks); what a snippet passes to a memory function is strings.
 */
export const MAX_MESSAGE_MEMBERS = 1000;

export type ChannelMessage = Record<string, unknown>;

/**
 * A line from the channel as the JSON object it must be: `'malformed'` when it is not one, and
 * `'too many members'`, found by one pass over the text before anything is parsed, when it holds more
 * than MAX_MESSAGE_MEMBERS.
 */
export function parseChannelMessage(line: string): ChannelMessage | 'malformed' | 'too many members' {
  if (membersOver(line, MAX_MESSAGE_MEMBERS)) return 'too many members';
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as ChannelMessage)
      : 'malformed';
  } catch {
    return 'malformed';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;

/** Counts commas and opening brackets outside strings (an upper bound of the members), up to `max`. */
function membersOver(text: string, max: number): boolean {
  let members = 0;
  let inString = false;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (inString) {
      if (code === BACKSLASH) at++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if ((code === COMMA || code === OPEN_ARRAY || code === OPEN_OBJECT) && ++members > max) return true;
  }
  return false;
}
