export type ConflictStatus = 'open' | 'resolved' | 'dismissed';

/** What the LLM judge said of a pair; `unavailable` when it could not say (timeout, error, nonsense). */
export type JudgeVerdict = 'contradiction' | 'update' | 'compatible' | 'unrelated' | 'unavailable';

export interface ConflictJudgement {
  verdict: JudgeVerdict;
  /** The model that judged (the configured name). */
  model: string;
  /** The judge's one-line reason, or why it was unavailable. */
  reason?: string;
}

/** A proposed contradiction between two memories; `firstId` < `secondId`. */
export interface ConflictRecord {
  /** The row's id, store-wide: never shown to a tenant. */
  id: number;
  /** Its number within the namespace (1 for the first): the id REST, MCP and the CLI show. */
  number: number;
  namespace: string;
  firstId: number;
  secondId: number;
  score: number;
  evidence: string[];
  status: ConflictStatus;
  resolution: string | null;
  createdAt: number;
  resolvedAt: number | null;
  /** The LLM judge's verdict; null when no judge was configured when the pair was proposed. */
  judge: ConflictJudgement | null;
}

export type NewConflict = Pick<
  ConflictRecord,
  'namespace' | 'firstId' | 'secondId' | 'score' | 'evidence' | 'createdAt'
> & { judge?: ConflictJudgement };

/** Proposed contradictions and the decisions taken on them (`memory_conflicts`). */
export abstract class ConflictStore {
  /** Records a proposal unless the pair is known already (open or decided); answers the new record. */
  abstract propose(conflict: NewConflict): Promise<ConflictRecord | undefined>;
  abstract findByNumber(namespace: string, number: number): Promise<ConflictRecord | undefined>;
  abstract findByPair(namespace: string, firstId: number, secondId: number): Promise<ConflictRecord | undefined>;
  /** Proposals with this status (any when undefined), highest score first. */
  abstract list(
    namespace: string,
    status: ConflictStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<ConflictRecord[]>;
  abstract count(namespace: string, status: ConflictStatus | undefined): Promise<number>;
  /** Replaces the judge's verdict on a proposal (a later scan asks again when the judge was unavailable). */
  abstract recordJudgement(id: number, judgement: ConflictJudgement): Promise<void>;
  abstract decide(id: number, status: Exclude<ConflictStatus, 'open'>, resolution: string, at: number): Promise<void>;
}
