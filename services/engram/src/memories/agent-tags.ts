import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { TagsInput } from '../common/request-fields';

const agentTagPipe = new ZodValidationPipe(TagsInput.optional(), 'path');

/** `X-Agent-ID: claude` tags the memory `agent:claude`, as MCP Memory Service does. */
export function agentTags(agentId: string | undefined): string[] {
  return agentId ? (agentTagPipe.transform(`agent:${agentId}`) ?? []) : [];
}
