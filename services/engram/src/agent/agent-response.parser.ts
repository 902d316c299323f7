/** One model turn, read the way the model was trained to write it (reference §3). */
export type AgentTurn =
  { kind: 'code'; code: string } | { kind: 'reply'; reply: string } | { kind: 'format_error'; problem: string };

/**
 * Reads a completion. Tags are looked for only after the first `</think>` (a thought may mention
 * `<python>`); a completion with `<think>` but no `</think>` was cut off. Code wrapped in a Markdown
 * fence loses the fence and its language word, and is otherwise left as written.
 */
export function parseAgentTurn(text: string): AgentTurn {
  const action = actionText(text);
  if (action === undefined) {
    return { kind: 'format_error', problem: 'The response ended inside <think> without closing it with </think>.' };
  }
  const code = unfence(firstTag(action, 'python')?.trim() ?? '');
  const reply = firstTag(action, 'reply')?.trim() ?? '';
  if (code !== '' && reply !== '') {
    return {
      kind: 'format_error',
      problem: 'The response had both code in <python> and a <reply>; nothing was run.',
    };
  }
  if (code !== '') return { kind: 'code', code };
  if (reply !== '') return { kind: 'reply', reply };
  return { kind: 'format_error', problem: 'The response had neither code in <python> nor a <reply>.' };
}

/** The text after the first `</think>`; all of it when the provider already removed the thoughts. */
function actionText(text: string): string | undefined {
  const close = text.indexOf('</think>');
  if (close !== -1) return text.slice(close + '</think>'.length);
  return text.includes('<think>') ? undefined : text;
}

/** The first `<tag>…</tag>`; a missing closing tag is accepted only at the very end (a stop string cut it). */
function firstTag(text: string, tag: string): string | undefined {
  const open = text.indexOf(`<${tag}>`);
  if (open === -1) return undefined;
  const start = open + tag.length + 2;
  const close = text.indexOf(`</${tag}>`, start);
  if (close !== -1) return text.slice(start, close);
  const rest = text.slice(start);
  return /<\/?[a-z]+>/.test(rest) ? undefined : rest;
}

function unfence(code: string): string {
  const fenced = /^```[\w+-]*[^\S\n]*\n([\s\S]*?)\n?```$/.exec(code);
  return fenced ? fenced[1].trim() : code;
}

/** What is sent back as the assistant message: the completion cut after its last closing tag. */
export function trimAfterLastTag(text: string): string {
  const end = Math.max(lastEnd(text, '</python>'), lastEnd(text, '</reply>'));
  return end > 0 ? text.slice(0, end) : text;
}

function lastEnd(text: string, tag: string): number {
  const at = text.lastIndexOf(tag);
  return at === -1 ? -1 : at + tag.length;
}
