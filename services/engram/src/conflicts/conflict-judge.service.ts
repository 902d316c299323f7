import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { ChatCompletionsRepository, ModelEndpointError } from '../agent/chat-completions.repository';
import { APP_CONFIG, AppConfig, ConflictJudgeConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { ConflictJudgement } from '../storage/conflict.store';
import { SlotLeases } from '../storage/slot-leases';
import { judgeMessages, parseJudgeAnswer } from './conflict-judge.prompt';
import { JudgeSlots, JudgeWaitGaveWay } from './judge-slots';
import { JUDGE_LEASE_TIMING, LeasedSlotGate } from './leased-slot-gate';
import { UnjudgedCause, UnjudgedWarnings } from './unjudged-warnings';

/** Room for a thinking model's thoughts before the verdict; the timeout bounds the cost anyway. */
const JUDGE_MAX_TOKENS = 2048;

/** Verdicts by which the judge confirms a proposal; the others reject it. */
export const CONFIRMING_VERDICTS: ReadonlySet<ConflictJudgement['verdict']> = new Set(['contradiction', 'update']);

/** Nest injection token: the judge slots' SlotLeases, undefined without a judge. */
export const JUDGE_SLOT_LEASES = Symbol('JUDGE_SLOT_LEASES');

/** The judge's semaphore among the shared ones. */
const JUDGE_SEMAPHORE = 'conflict-judge';

/** The reason an answer without a known verdict gives. */
const NO_VERDICT = 'the judge answered without a known verdict';

/** What the log says of judgements that stood unjudged, by cause. */
const UNJUDGED_MESSAGES: Record<UnjudgedCause, string> = {
  gave_way: 'Conflict judgements gave way; their CPU proposals stand unjudged',
  timeout: 'Conflict judgements timed out; their CPU proposals stand unjudged',
  failed: 'Conflict judge requests failed; their CPU proposals stand unjudged',
  no_verdict: 'The conflict judge answered without a verdict; its CPU proposals stand unjudged',
};

/**
 * The optional LLM judge (ENGRAM_CONFLICTS_JUDGE_URL): asks a chat model whether the CPU detector's pair
 * really cannot both hold. It never fails and never hangs: a timeout, an error or an answer without a
 * verdict is the verdict `unavailable` with the reason, and the CPU proposal then stands as it would
 * without a judge. One request at a time per pair, no retries, at most `concurrency` in flight across
 * every process sharing the slots (the smallest `concurrency` among them), the waiting ones served
 * namespace by namespace in turn.
 */
@Injectable()
export class ConflictJudgeService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ConflictJudge');
  private readonly settings: ConflictJudgeConfig | undefined;
  private readonly model: ChatCompletionsRepository | undefined;
  private readonly slots: JudgeSlots;
  private readonly sharedGate: LeasedSlotGate | undefined;
  /** A judge down during a bulk import fails by the thousand: told once a minute per cause and namespace. */
  private readonly unjudged = new UnjudgedWarnings(({ cause, namespace, count, reason }) =>
    this.logger.warn({ msg: UNJUDGED_MESSAGES[cause], namespace, count, reason }),
  );

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: EngramMetrics,
    @Optional() @Inject(JUDGE_SLOT_LEASES) sharedSlots?: SlotLeases,
  ) {
    this.settings = config.conflicts.judge;
    const size = this.settings?.concurrency ?? 1;
    this.sharedGate =
      sharedSlots &&
      new LeasedSlotGate(sharedSlots, JUDGE_SEMAPHORE, size, JUDGE_LEASE_TIMING, {
        smallerSize: (agreed, limit) =>
          this.logger.warn({
            msg: `Another process judges with a smaller ENGRAM_CONFLICTS_JUDGE_CONCURRENCY: at most ${agreed} judge requests at once, not this process's ${limit}`,
            agreed,
            limit,
          }),
      });
    this.slots = new JudgeSlots(
      { size, maxWaitingPerNamespace: this.settings?.maxWaitingPerNamespace ?? 1 },
      {
        waitingChanged: (waiting) => metrics.conflictJudgeWaiting.set(waiting),
        gaveWay: () => metrics.conflictJudgeGaveWay.inc(),
      },
      this.sharedGate,
    );
    this.model = this.settings && judgeClient(this.settings);
  }

  /** Counts this process's limit among the processes sharing the slots, idle or not, while it runs. */
  async onModuleInit(): Promise<void> {
    await this.sharedGate?.join();
  }

  async onModuleDestroy(): Promise<void> {
    this.unjudged.close();
    await this.sharedGate?.leave();
  }

  get configured(): boolean {
    return this.model !== undefined;
  }

  /** How long one judgement may take (ENGRAM_CONFLICTS_JUDGE_TIMEOUT_MS). */
  get timeoutMs(): number {
    return this.settings?.timeoutMs ?? 0;
  }

  /**
   * The verdict on two statements of a namespace (older first), once the namespace's turn for a slot
   * comes (JudgeSlots). `signal` ends the wait for a slot and the request early; the answer is then
   * `unavailable` too, as it is when a newer judgement of the namespace made this one give way.
   */
  async judge(namespace: string, older: string, newer: string, signal?: AbortSignal): Promise<ConflictJudgement> {
    const chat = this.model;
    if (!chat || !this.settings) throw new Error('No conflict judge is configured');
    const model = this.settings.model;
    const stop = this.metrics.conflictJudgeDuration.startTimer();
    let judgement: ConflictJudgement;
    try {
      const { text } = await this.slots.run(
        namespace,
        () => chat.complete(judgeMessages(older, newer), signal),
        signal,
      );
      const answer = parseJudgeAnswer(text);
      judgement = answer ? { ...answer, model } : { verdict: 'unavailable', model, reason: NO_VERDICT };
      if (!answer) this.unjudged.note('no_verdict', namespace, NO_VERDICT);
    } catch (error) {
      const reason = unavailableReason(error, signal);
      judgement = { verdict: 'unavailable', model, reason };
      this.unjudged.note(unjudgedCause(error, signal), namespace, reason);
    }
    stop({ outcome: judgement.verdict === 'unavailable' ? 'unavailable' : 'ok' });
    this.metrics.conflictJudgeVerdicts.inc({ verdict: judgement.verdict });
    return judgement;
  }
}

/** The agent's chat client on the judge's endpoint: temperature 0, one request, the judge's timeout. */
function judgeClient({ baseUrl, apiKey, provider, model, timeoutMs }: ConflictJudgeConfig) {
  return new ChatCompletionsRepository({
    baseUrl,
    apiKey,
    provider,
    model,
    requestTimeoutMs: timeoutMs,
    maxRetries: 0,
    maxTokens: JUDGE_MAX_TOKENS,
    temperature: 0,
  });
}

function unjudgedCause(error: unknown, signal: AbortSignal | undefined): UnjudgedCause {
  if (error instanceof JudgeWaitGaveWay) return 'gave_way';
  if (signal?.aborted || (error instanceof ModelEndpointError && error.timedOut)) return 'timeout';
  return 'failed';
}

function unavailableReason(error: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted) return 'the judge did not answer within the time a store waits for it';
  return (error as Error).message;
}
