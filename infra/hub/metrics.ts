// The hub's metrics (namespace `LbGuard/Fleet`), as the contract of issue 19 names them: what
// hub-coverage emits (EMF) and what the coverage alarm and the hub dashboard read.

/** The namespace of every hub metric. */
export const HUB_NAMESPACE = 'LbGuard/Fleet';

export const HUB_METRICS = {
  /**
   * 1 for each load balancer that should be guarded and is not (and 0 once when it is again),
   * dimensions Account, Region, LoadBalancer (`(unreadable)` for a scope that could not be read).
   */
  uncovered: 'Uncovered',
  /** 1 per completed coverage run, no dimensions: its silence means nobody checks coverage. */
  coverageChecks: 'CoverageChecks',
} as const;

/** The dimensions of `Uncovered`, each a contributor attribute of the coverage alarm. */
export const UNCOVERED_DIMENSIONS = ['Account', 'Region', 'LoadBalancer'] as const;

/**
 * The coverage alarm's Metrics Insights query, exactly as the contract writes it: one time series
 * per (account, region, load balancer), so the multi-time-series alarm names each contributor.
 */
export const COVERAGE_QUERY =
  'SELECT MAX(Uncovered) FROM SCHEMA("LbGuard/Fleet", Account, LoadBalancer, Region) GROUP BY Account, Region, LoadBalancer';

/** The dashboard's view of the same metric, per account and region (a graph, not an alarm). */
export const UNCOVERED_BY_SCOPE_QUERY =
  'SELECT SUM(Uncovered) FROM SCHEMA("LbGuard/Fleet", Account, LoadBalancer, Region) GROUP BY Account, Region';

/**
 * hub-ingest's EMF metrics carry a `DetailType` dimension; a SEARCH over that dimension graphs
 * every one of them per detail type (accepted, refused…) without the dashboard naming each.
 */
export const INGEST_EVENTS_SEARCH = "SEARCH('{LbGuard/Fleet,DetailType}', 'Sum', 60)";
