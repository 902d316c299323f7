// Deterministic checks of one sample's outcome, and the per-category summary.

/**
 * @param sample a SAMPLES entry
 * @param outcome { reply, error?, files: {path: text}, followUpReply? }
 * @returns { pass: boolean, failures: string[] }
 */
export function checkSample(sample, outcome) {
  const failures = [];
  if (outcome.error) return { pass: false, failures: [`agent error: ${outcome.error}`] };
  if (typeof outcome.reply !== 'string' || outcome.reply.trim() === '') failures.push('empty reply');
  const reply = outcome.reply ?? '';
  if (sample.reply && !sample.reply.test(reply)) failures.push(`reply does not match ${sample.reply}`);
  if (sample.replyNot && sample.replyNot.test(reply)) failures.push(`reply leaks ${sample.replyNot}`);
  for (const [path, pattern] of Object.entries(sample.files ?? {})) {
    if (!pattern.test(outcome.files[path] ?? '')) failures.push(`${path} does not match ${pattern}`);
  }
  for (const [path, pattern] of Object.entries(sample.filesNot ?? {})) {
    if (pattern.test(outcome.files[path] ?? '')) failures.push(`${path} still matches ${pattern}`);
  }
  if (sample.anyFile && !Object.values(outcome.files).some((text) => sample.anyFile.test(text))) {
    failures.push(`no file matches ${sample.anyFile}`);
  }
  if (sample.followUp) {
    const followUp = outcome.followUpReply ?? '';
    if (!sample.followUp.reply.test(followUp)) failures.push(`follow-up reply does not match ${sample.followUp.reply}`);
  }
  if (outcome.judgeVerdict === false) failures.push(`judge: ${outcome.judgeReason ?? 'failed'}`);
  return { pass: failures.length === 0, failures };
}

/** Mean pass rate per category over all runs, and overall as the mean of the categories (as the bench does). */
export function summarise(results, categories) {
  const byCategory = {};
  for (const category of categories) {
    const rows = results.filter((row) => row.category === category);
    byCategory[category] = rows.length === 0 ? null : rows.filter((row) => row.pass).length / rows.length;
  }
  const scored = Object.values(byCategory).filter((score) => score !== null);
  const overall = scored.length === 0 ? null : scored.reduce((sum, score) => sum + score, 0) / scored.length;
  return { byCategory, overall };
}
