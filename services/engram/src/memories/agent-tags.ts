import { z } from 'zod';
import { InvalidInput } from '../common/domain-errors';
import { MAX_TAG_LENGTH } from '../common/request-fields';

const PREFIX = 'agent:';

/** One agent's id: it becomes one tag, so it holds no comma (a comma would make several tags). */
const AgentId = z
  .string()
  .transform((id) => id.trim().replace(/\s+/g, ' ').toLowerCase())
  .pipe(
    z
      .string()
      .max(MAX_TAG_LENGTH - PREFIX.length, `has at most ${MAX_TAG_LENGTH - PREFIX.length} characters`)
      .refine((id) => !id.includes(','), 'is one id: it holds no comma'),
  );

/** `X-Agent-ID: claude` tags the memory `agent:claude`, as MCP Memory Service does. */
export function agentTags(agentId: string | undefined): string[] {
  if (agentId === undefined || agentId.trim() === '') return []; // a blank header names no agent
  const parsed = AgentId.safeParse(agentId);
  if (parsed.success) return [`${PREFIX}${parsed.data}`];
  const message = parsed.error.issues[0].message;
  throw new InvalidInput(`X-Agent-ID ${message}`, { issues: [{ path: 'X-Agent-ID', message }] });
}
