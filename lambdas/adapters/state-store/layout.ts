// Where each record lives in the state table, by who writes it: a partition per writer, so that
// IAM can hold each function to its own items (`dynamodb:LeadingKeys`, infra/grants.ts) and a
// role that parses the internet (probe) cannot touch what a plan is built from.
//
//   SERVICE#<name>    inspect (and an operator's CLI): snapshots, last known good, promotions,
//                     soak marker, config changes, probe hysteresis
//   INCIDENTS#<name>  inspect and remediate: incidents, the open-incident pointer, the lock,
//                     the snapshot a plan awaiting approval was made against
//   EVIDENCE#<name>   probe: probe results and served-by samples
//   IDEMPOTENCY#remediate  remediate: Powertools Idempotency's apply-once records
//   ENROLMENT#<account>#<region>  enrol: the signed enrolment registry (lib/fleet/registry.ts)

export const PARTITION_PREFIX = {
  service: 'SERVICE#',
  incidents: 'INCIDENTS#',
  evidence: 'EVIDENCE#',
} as const;

export type Partition = keyof typeof PARTITION_PREFIX;

/** Powertools Idempotency's partition for remediate's apply-once records (apply-once.ts). */
export const IDEMPOTENCY_PARTITION = 'IDEMPOTENCY#remediate';

/** The enrolment registry's key: one item per account and region, written by enrol alone. */
export const ENROLMENT_PREFIX = 'ENROLMENT#';
export const ENROLMENT_SK = 'REGISTRY';

export function partitionKey(partition: Partition, service: string): string {
  return `${PARTITION_PREFIX[partition]}${service}`;
}

/** The sort keys (or their prefixes) of each record kind. */
export const SK = {
  snapshotPrefix: 'SNAPSHOT#',
  lastGood: 'LASTGOOD',
  promotionPrefix: 'PROMOTION#',
  incidentPrefix: 'INCIDENT#',
  openIncident: 'OPEN_INCIDENT',
  lock: 'LOCK',
  plannedPrefix: 'PLANNED#',
  probePrefix: 'PROBE#',
  servedByPrefix: 'SERVEDBY#',
  changePrefix: 'CHANGE#',
  soak: 'SOAK',
  hysteresis: 'HYSTERESIS',
} as const;

/** Which writer's partition each record kind lives in. */
const PARTITION_OF = {
  [SK.snapshotPrefix]: 'service',
  [SK.lastGood]: 'service',
  [SK.promotionPrefix]: 'service',
  [SK.soak]: 'service',
  [SK.changePrefix]: 'service',
  [SK.hysteresis]: 'service',
  [SK.incidentPrefix]: 'incidents',
  [SK.openIncident]: 'incidents',
  [SK.lock]: 'incidents',
  [SK.plannedPrefix]: 'incidents',
  [SK.probePrefix]: 'evidence',
  [SK.servedByPrefix]: 'evidence',
} as const satisfies Record<(typeof SK)[keyof typeof SK], Partition>;

/** A record kind: its sort key or sort-key prefix. */
export type RecordKind = keyof typeof PARTITION_OF;

/** The partition key of `service`'s records of `kind`. */
export function pk(service: string, kind: RecordKind): string {
  return partitionKey(PARTITION_OF[kind], service);
}

/** The leading keys each function writes, as IAM `dynamodb:LeadingKeys` patterns. */
export const WRITES_LEADING_KEYS = {
  probe: [`${PARTITION_PREFIX.evidence}*`],
  inspect: [`${PARTITION_PREFIX.service}*`, `${PARTITION_PREFIX.incidents}*`],
  remediate: [`${PARTITION_PREFIX.incidents}*`, IDEMPOTENCY_PARTITION],
  enrol: [`${ENROLMENT_PREFIX}*`],
} as const satisfies Record<'probe' | 'inspect' | 'remediate' | 'enrol', readonly string[]>;

/** The state key's alias beside a table (the CLI's default for `--state-key`, as the construct names it). */
export function stateKeyAlias(tableName: string): string {
  return `alias/lbguard/${tableName}`;
}
