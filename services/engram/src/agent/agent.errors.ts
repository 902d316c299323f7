import { DomainError } from '../common/domain-errors';

/** No model endpoint is configured, or no sandbox isolation works here: nothing is run. */
export class AgentUnavailable extends DomainError {
  readonly status = 503;
  readonly code = 'agent_unavailable';
}

/** The model endpoint failed after retries. */
export class AgentModelFailed extends DomainError {
  readonly status = 502;
  readonly code = 'model_unavailable';
}

/** The agent stopped without a reply: turn budget, deadline or token budget spent. */
export class AgentIncomplete extends DomainError {
  readonly status = 502;
  readonly code = 'agent_incomplete';
}

/** The server began shutting down before the agent replied: what it wrote is kept; ask again. */
export class AgentInterrupted extends DomainError {
  readonly status = 503;
  readonly code = 'agent_interrupted';
  override readonly retryAfterSeconds = 5;
}
