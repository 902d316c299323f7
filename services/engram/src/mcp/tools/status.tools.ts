import { z } from 'zod';
import { defineTool, McpTool } from '../mcp-tool';
import { ToolDeps } from './tool-deps';
import { counted } from '../../common/counted';

const Statistics = z.object({
  total_memories: z.number(),
  deleted_memories: z.number(),
  unique_tags: z.number(),
  memory_types: z.array(z.object({ memory_type: z.string(), count: z.number() })),
  oldest_memory: z.string().nullable(),
  newest_memory: z.string().nullable(),
});

export const HealthOutput = z.object({
  status: z.literal('healthy'),
  uptime_seconds: z.number(),
  statistics: Statistics,
  storage: z.object({
    backend: z.string(),
    // Null for credentials bound to a namespace: these figures cover every namespace.
    database_size_bytes: z.number().nullable(),
    free_disk_bytes: z.number().nullable(),
    // The engine's versions: SQLite and sqlite-vec, or PostgreSQL and pgvector.
    sqlite: z.string().optional(),
    sqliteVec: z.string().optional(),
    postgres: z.string().optional(),
    pgvector: z.string().optional(),
    schema: z.number(),
  }),
  embedding: z.object({ provider: z.string(), model: z.string(), dimension: z.number() }),
  search: z.object({
    fusion: z.string(),
    default_min_score: z.number(),
    rerank: z.object({ model: z.string().nullable() }).nullable(),
  }),
  versions: z.object({ engram: z.string(), node: z.string() }),
});

/** Most-used tags reported by memory_stats. */
const TOP_TAGS = 20;

export function statusTools(deps: ToolDeps): McpTool[] {
  return [
    defineTool({
      name: 'memory_health',
      title: 'Memory service health',
      description: 'Health of the memory service: counts, storage size, embedding model, versions.',
      effect: 'read',
      idempotent: true,
      input: z.object({}),
      output: HealthOutput,
      async run() {
        const report = await deps.status.report();
        return {
          structured: report,
          text: `healthy: ${counted(report.statistics.total_memories, 'memory', 'memories')}, model ${report.embedding.model}`,
        };
      },
    }),

    defineTool({
      name: 'memory_stats',
      title: 'Memory statistics',
      description: `Counts of memories, tags and types, time span, and the ${TOP_TAGS} most used tags.`,
      effect: 'read',
      idempotent: true,
      input: z.object({}),
      output: Statistics.extend({
        database_size_bytes: z.number().nullable(),
        top_tags: z.array(z.object({ tag: z.string(), count: z.number() })),
      }),
      async run() {
        const { statistics, storage } = await deps.status.report();
        const topTags = (await deps.memories.tags()).slice(0, TOP_TAGS).map(({ tag, count }) => ({ tag, count }));
        return {
          structured: { ...statistics, database_size_bytes: storage.database_size_bytes, top_tags: topTags },
          text: `${counted(statistics.total_memories, 'memory', 'memories')}, ${counted(statistics.unique_tags, 'tag', 'tags')}`,
        };
      },
    }),
  ];
}
