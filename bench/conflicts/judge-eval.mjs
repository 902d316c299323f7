/**
 * The LLM judge on the labelled pairs, with the service's own judge (prompt, parsing, timeout): asked
 * about every pair (the judge alone), and as the service uses it, on the CPU detector's proposals only
 * (a proposal is dropped when the judge says compatible or unrelated; it stands when the judge is
 * unavailable). Figures only, never pair text.
 */
import { fromDist } from '../lib/dist.mjs';
import { POSITIVE_KINDS, scoreDetector } from './scoring.mjs';

/**
 * @param judged the CPU eval's pairs: `{id, kind, older, newer, proposed}`
 * @param judge `{url, model, apiKey?, timeoutMs, concurrency}`
 */
export async function evaluateJudge(judged, judge) {
  const { ConflictJudgeService } = fromDist('conflicts/conflict-judge.service.js');
  const { EngramMetrics } = fromDist('metrics/engram-metrics.js');
  const settings = {
    baseUrl: judge.url.replace(/\/+$/, ''),
    apiKey: judge.apiKey,
    provider: 'openai_compatible',
    model: judge.model,
    timeoutMs: judge.timeoutMs,
    concurrency: judge.concurrency,
    // Every pair waits at once, all of one namespace: none may give way to a later one.
    maxWaitingPerNamespace: judged.length,
  };
  const service = new ConflictJudgeService({ conflicts: { judge: settings } }, new EngramMetrics());
  const started = performance.now();
  // The service bounds concurrency itself; every pair is handed over at once.
  const verdicts = await Promise.all(judged.map((pair) => service.judge('eval', pair.older, pair.newer)));
  const judgeMs = performance.now() - started;

  const confirms = (verdict) => POSITIVE_KINDS.has(verdict);
  const alone = judged.map((pair, i) => ({ ...pair, proposed: confirms(verdicts[i].verdict) }));
  const pipeline = judged.map((pair, i) => ({
    ...pair,
    proposed: pair.proposed && (confirms(verdicts[i].verdict) || verdicts[i].verdict === 'unavailable'),
  }));
  const heldOut = (pairs) => pairs.filter((pair) => pair.id % 2 === 0);
  const verdictsByKind = {};
  judged.forEach((pair, i) => {
    const byVerdict = (verdictsByKind[pair.kind] ??= {});
    byVerdict[verdicts[i].verdict] = (byVerdict[verdicts[i].verdict] ?? 0) + 1;
  });
  return {
    kind: 'engram-conflicts-judge-eval',
    judge_model: judge.model,
    pairs: judged.length,
    judge_alone: { all: scoreDetector(alone), held_out_half: scoreDetector(heldOut(alone)) },
    cpu_then_judge: { all: scoreDetector(pipeline), held_out_half: scoreDetector(heldOut(pipeline)) },
    unavailable: verdicts.filter((verdict) => verdict.verdict === 'unavailable').length,
    verdicts_by_kind: verdictsByKind,
    judge_ms_per_pair: Math.round((judgeMs / judged.length) * judge.concurrency),
    concurrency: judge.concurrency,
    timeout_ms: judge.timeoutMs,
  };
}
