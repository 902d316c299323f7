import { after, before } from 'node:test';
import { MemAgentTestDouble, Scenario, startMemAgentTestDouble } from './mem-agent.test-double';
import { startTestPostgres, TestPostgres } from './postgres-test-server';
import { startTestApp, TestApp } from './test-app';

/** One storage backend as an api spec starts it: the environment for startTestApp, and its teardown. */
export interface ApiBackend {
  name: string;
  env(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * The two places the agent's markdown memory lives, for specs that run once per backend: the MEMORY_DIR
 * folder beside SQLite, and the database on PostgreSQL (a test server started on first use).
 */
export function apiBackends(): ApiBackend[] {
  let postgres: TestPostgres | undefined;
  return [
    { name: 'SQLite (MEMORY_DIR folder)', env: async () => ({}), stop: async () => undefined },
    {
      name: 'PostgreSQL (files in the database)',
      async env() {
        postgres = await startTestPostgres();
        return { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url };
      },
      stop: async () => postgres?.close(),
    },
  ];
}

/** The api and model double a scripted agent session holds while its describe runs. */
export interface ScriptedAgentApi {
  readonly api: TestApp;
  readonly model: MemAgentTestDouble;
}

/**
 * Registers, as the calling describe's before and after hooks, a real api on `backend` whose agent asks a
 * model double playing `scenarios`, with `env` added; the fields are set once the before hook has run.
 */
export function scriptedAgentApi(
  backend: ApiBackend,
  scenarios: Scenario[],
  env: Record<string, string>,
): ScriptedAgentApi {
  const session = {} as { api: TestApp; model: MemAgentTestDouble };
  before(async () => {
    session.model = await startMemAgentTestDouble(scenarios);
    session.api = await startTestApp({ ENGRAM_AGENT_BASE_URL: session.model.url, ...env, ...(await backend.env()) });
  });
  after(async () => {
    await session.api.close();
    await session.model.close();
    await backend.stop();
  });
  return session;
}
