import { Injectable } from '@nestjs/common';
import { currentNamespace } from '../auth/request-context';
import { InvalidInput, MemoryNotFound } from '../common/domain-errors';
import { MemoryRecord } from '../storage/memory.record';
import { MemoryStore } from '../storage/memory.store';
import { NO_USE, UsageSignals, UsageStore } from '../storage/usage.store';
import { DistributionInput, RateMemoryInput } from './quality.dto';
import { QualityParts, qualityOf } from './quality-score';
import { UsageRecorder } from './usage-recorder';

export interface MemoryQuality {
  memory: MemoryRecord;
  signals: UsageSignals;
  quality: QualityParts;
}

export interface RatingOutcome extends MemoryQuality {
  previousScore: number;
}

/** Scores at or above HIGH are high, below MEDIUM low (MCP Memory Service's bands). */
const HIGH = 0.7;
const MEDIUM = 0.5;
const EXTREMES = 10;

export interface QualityDistribution {
  total: number;
  high: number;
  medium: number;
  low: number;
  average: number;
  rated: number;
  used: number;
  top: ScoredMemory[];
  bottom: ScoredMemory[];
}

interface ScoredMemory {
  memoryId: number;
  contentHash: string;
  content: string;
  memoryType: string;
  score: number;
  uses: number;
}

/** Quality from use and ratings: rating a memory, reading its quality, and the namespace's spread. */
@Injectable()
export class QualityService {
  constructor(
    private readonly memories: MemoryStore,
    private readonly usage: UsageStore,
    private readonly recorder: UsageRecorder,
  ) {}

  async rate(hash: string, input: RateMemoryInput): Promise<RatingOutcome> {
    const before = await this.qualityOf(hash);
    const signals = await this.usage.addRating(before.memory.id, input.rating, input.feedback ?? null);
    return {
      memory: before.memory,
      signals,
      quality: qualityOf(signals, Date.now()),
      previousScore: before.quality.score,
    };
  }

  async qualityOf(hash: string): Promise<MemoryQuality> {
    const memory = await this.memories.findLiveByHash(currentNamespace(), hash);
    if (!memory) throw new MemoryNotFound(hash);
    await this.recorder.flush();
    const signals = (await this.usage.signalsOf([memory.id])).get(memory.id) ?? NO_USE;
    return { memory, signals, quality: qualityOf(signals, Date.now()) };
  }

  /** Quality scores of memories by id (missing ids score neutral), for re-ranking. */
  async scoresOf(memoryIds: readonly number[]): Promise<Map<number, number>> {
    const signals = await this.usage.signalsOf(memoryIds);
    const now = Date.now();
    return new Map(memoryIds.map((id) => [id, qualityOf(signals.get(id) ?? NO_USE, now).score]));
  }

  /**
   * How the namespace's current memories spread over quality, with the best and worst few: one pass
   * over the rows in bounded memory (counts, a sum, two lists of EXTREMES).
   */
  async distribution(range: DistributionInput): Promise<QualityDistribution> {
    if (range.min_quality > range.max_quality) {
      throw new InvalidInput('min_quality is above max_quality: the range holds no score');
    }
    await this.recorder.flush();
    const now = Date.now();
    const spread = { total: 0, high: 0, medium: 0, low: 0, sum: 0, rated: 0, used: 0 };
    let top: ScoredMemory[] = [];
    let bottom: ScoredMemory[] = [];
    for await (const row of this.usage.currentMemories(currentNamespace())) {
      const { score } = qualityOf(row, now);
      if (score < range.min_quality || score > range.max_quality) continue;
      spread.total += 1;
      spread.sum += score;
      if (score >= HIGH) spread.high += 1;
      else if (score >= MEDIUM) spread.medium += 1;
      else spread.low += 1;
      if (row.ratingCount > 0) spread.rated += 1;
      if (row.retrievals + row.fetches > 0) spread.used += 1;
      const { memoryId, contentHash, content, memoryType } = row;
      const entry = { memoryId, contentHash, content, memoryType, score, uses: row.retrievals + row.fetches };
      top = keepBest(top, entry, (a, b) => b.score - a.score || a.memoryId - b.memoryId);
      bottom = keepBest(bottom, entry, (a, b) => a.score - b.score || a.memoryId - b.memoryId);
    }
    const { sum, ...counts } = spread;
    return { ...counts, average: spread.total === 0 ? 0 : sum / spread.total, top, bottom };
  }
}

/** The list with the entry added, sorted by `order`, cut to EXTREMES. */
function keepBest(
  list: ScoredMemory[],
  entry: ScoredMemory,
  order: (a: ScoredMemory, b: ScoredMemory) => number,
): ScoredMemory[] {
  if (list.length === EXTREMES && order(entry, list[EXTREMES - 1]) >= 0) return list;
  return [...list, entry].sort(order).slice(0, EXTREMES);
}
