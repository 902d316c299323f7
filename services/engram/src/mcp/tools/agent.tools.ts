import { z } from 'zod';
import { AgentQueryFields } from '../../agent/agent.dto';
import { AgentService } from '../../agent/agent.service';
import { defineTool, McpTool } from '../mcp-tool';

/** Clients are told to wait this long (the reference's client timeout is 600 s); progress keeps them waiting. */
const PROGRESS_INTERVAL_MS = 2000;

/**
 * `use_memory_agent`: the mem-agent model working on the markdown memory. Long-running: a progress
 * notification at each model call and every 2 s between, naming the turn; cancellation stops the run.
 */
export function agentTools(agent: AgentService): McpTool[] {
  return [
    defineTool({
      name: 'use_memory_agent',
      title: 'Ask the memory agent',
      description:
        "Hands the user's message to Engram's memory agent, which keeps a markdown memory (user.md and entities/) and " +
        'answers from it. Pass the message verbatim: questions about the user and facts to remember alike (the agent ' +
        'decides what to store). Optional filters are privacy rules for this answer. Takes seconds to minutes; ' +
        'answers {reply, turns, files_changed, redactions}.',
      effect: 'write',
      idempotent: false,
      input: z.object(AgentQueryFields),
      output: z.object({
        reply: z.string(),
        turns: z.number().int(),
        files_changed: z.array(z.object({ path: z.string(), change: z.enum(['created', 'updated', 'deleted']) })),
        redactions: z.number().int(),
      }),
      async run({ question, filters }, call) {
        // Progress must grow with every notification: it counts them; the message names the turn.
        let sent = 0;
        let status = 'starting';
        const report = () => call.reportProgress(++sent, undefined, status).catch(() => undefined);
        const heartbeat = setInterval(report, PROGRESS_INTERVAL_MS);
        try {
          const answer = await agent.query(
            { question, filters },
            {
              signal: call.signal,
              onProgress: (_turn, _max, message) => {
                status = message;
                void report();
              },
            },
          );
          // Diffs are for people (the dashboard, REST); a model client gets the list of changed files.
          const files_changed = answer.files_changed.map(({ path, change }) => ({ path, change }));
          return { structured: { ...answer, files_changed }, text: answer.reply };
        } finally {
          clearInterval(heartbeat);
        }
      },
    }),
  ];
}
