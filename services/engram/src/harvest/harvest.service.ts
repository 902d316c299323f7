import { Inject, Injectable } from '@nestjs/common';
import { AgentModelFailed, AgentUnavailable } from '../agent/agent.errors';
import { ChatCompletionsRepository, ModelEndpointError } from '../agent/chat-completions.repository';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { MemoryService, StoreOutcome } from '../memories/memory.service';
import { HarvestCandidateInput, HarvestInput } from './harvest.dto';
import { harvestMessages, parseHarvestAnswer } from './harvest-prompt';

export const HARVEST_UNCONFIGURED =
  'Harvest needs a chat model endpoint: set ENGRAM_AGENT_BASE_URL (any OpenAI-compatible endpoint), VLLM_HOST ' +
  '(and VLLM_PORT) or OPENROUTER_API_KEY.';

export interface HarvestOutcome {
  candidates: (HarvestCandidateInput & { outcome?: StoreOutcome })[];
  /** Items of the model's answer that were not usable memories. */
  rejected: number;
}

/** Candidate memories from a transcript, extracted by the configured chat model; stored only when asked. */
@Injectable()
export class HarvestService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly model: ChatCompletionsRepository,
    private readonly memories: MemoryService,
  ) {}

  async harvest(input: HarvestInput, signal?: AbortSignal): Promise<HarvestOutcome> {
    if (this.config.agent.baseUrl === undefined) throw new AgentUnavailable(HARVEST_UNCONFIGURED);
    const transcript =
      input.transcript ?? input.turns!.map((turn) => `[${turn.role}] ${turn.content.trim()}`).join('\n');
    let text: string;
    try {
      text = (await this.model.complete(harvestMessages(transcript, input.max_candidates), signal)).text;
    } catch (error) {
      if (error instanceof ModelEndpointError) throw new AgentModelFailed(`The chat model failed: ${error.message}`);
      throw error;
    }
    const { candidates, rejected } = parseHarvestAnswer(text, input.max_candidates);
    if (!input.store || candidates.length === 0) return { candidates, rejected };
    const outcomes = await this.memories.storeMany(
      candidates.map((candidate) => ({
        content: candidate.content,
        memory_type: candidate.memory_type,
        tags: [...new Set([...(candidate.tags ?? []), ...(input.tags ?? []), 'harvested'])].sort(),
        metadata: { source: 'harvest' },
      })),
    );
    return { candidates: candidates.map((candidate, i) => ({ ...candidate, outcome: outcomes[i] })), rejected };
  }
}
