/**
 * A process of its own on one SQLite file, for the specs of the limiter all processes on a file share: it
 * opens the file's SqliteFailureLimiter, prints `ready`, and once told `go` on its input runs its plan at
 * full speed, then prints `outcome ` and what it got as JSON (LimiterPlanOutcome) and exits. Other lines on
 * stdout are the limiter's log.
 * Usage: node failure-limiter.child.js <database file> <plan as JSON>
 */
import { FailureBudget } from '../auth/failure-limiter';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { SqliteFailureLimiter } from '../storage/sqlite/sqlite-failure-limiter';

export interface LimiterPlan {
  /** Reserve one place at a time, or record failures after the fact. */
  action: 'reserve' | 'record';
  budget: FailureBudget;
  /** Taken in turn, `attempts` times each in a row. */
  keys: string[];
  attempts: number;
}

/** Per key, the places the process took (`reserve`) or the failures it recorded (`record`). */
export type LimiterPlanOutcome = Record<string, number>;

async function run(limiter: SqliteFailureLimiter, plan: LimiterPlan): Promise<LimiterPlanOutcome> {
  const outcome: LimiterPlanOutcome = {};
  for (const key of plan.keys) {
    outcome[key] = 0;
    for (let attempt = 0; attempt < plan.attempts; attempt++) {
      if (plan.action === 'record') await limiter.recordFailure(plan.budget, key);
      else if ((await limiter.reserve([{ budget: plan.budget, key }])).retryAfterSeconds > 0) continue;
      outcome[key]++;
    }
  }
  return outcome;
}

function main(): void {
  const [path, plan] = process.argv.slice(2);
  const limiter = new SqliteFailureLimiter(openSqliteDatabase(path, DEFAULT_PRAGMAS));
  process.stdout.write('ready\n');
  process.stdin.once('data', async () => {
    process.stdout.write(`outcome ${JSON.stringify(await run(limiter, JSON.parse(plan) as LimiterPlan))}\n`);
    process.exit(0);
  });
}

if (require.main === module) main();
