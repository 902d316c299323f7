/** The overview figures as clients see them; the dashboard imports these types too (no imports here). */

/** What happened in one sampling interval: request rate and search latency, for the overview's charts. */
export interface TrafficPoint {
  /** End of the interval. */
  at: string;
  seconds: number;
  requests_per_second: number;
  server_errors: number;
  searches: number;
  /** Null when no search ran in the interval. */
  search_mean_ms: number | null;
  search_p95_ms: number | null;
}

export interface OverviewFigures {
  namespace: string;
  memories: {
    total: number;
    /** Live memories created before the first charted day. */
    before: number;
    per_day: { day: string; created: number }[];
    by_type: { memory_type: string; count: number }[];
    top_tags: { tag: string; count: number }[];
  };
  /** This process's traffic; null for a credential bound to a namespace (it covers every namespace). */
  traffic: { interval_seconds: number; points: TrafficPoint[] } | null;
}
