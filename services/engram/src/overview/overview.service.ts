import { Injectable } from '@nestjs/common';
import { currentContext } from '../auth/request-context';
import { MemoryService } from '../memories/memory.service';
import { MetricsHistory, SAMPLE_INTERVAL_MS } from './metrics-history';
import { OverviewFigures } from './overview.view';

/** Days of the memories-over-time chart. */
export const TIMELINE_DAYS = 30;
const TOP_TAGS = 10;

/** The dashboard's overview charts in one answer: the namespace's memories, and the server's own traffic. */
@Injectable()
export class OverviewService {
  constructor(
    private readonly memories: MemoryService,
    private readonly history: MetricsHistory,
  ) {}

  async figures(): Promise<OverviewFigures> {
    const { principal, namespace } = currentContext();
    const counts = await this.memories.stats();
    const { before, days } = await this.memories.createdPerDay(TIMELINE_DAYS);
    return {
      namespace,
      memories: {
        total: counts.live,
        before,
        per_day: days,
        by_type: counts.types,
        top_tags: (await this.memories.tags()).slice(0, TOP_TAGS),
      },
      traffic:
        principal.boundNamespace === undefined
          ? { interval_seconds: SAMPLE_INTERVAL_MS / 1000, points: await this.history.series() }
          : null,
    };
  }
}
