// Every price the cost model uses, in one place, each with its source and the date it was
// recorded. They are us-east-1 list prices as commonly published (DESIGN.md "Money"); confirm
// them on the linked pages before quoting a figure, since AWS changes prices without notice.
// Free tiers (Lambda, metrics, alarms, dashboards) are left out: they are per account, and the
// account lbguard lands in has usually spent them already.

export interface Price {
  readonly usd: number;
  readonly per: string;
  readonly source: string;
  /** When the figure was recorded here (year-month). */
  readonly recorded: string;
  readonly note?: string;
}

const RECORDED = '2026-11';

export const PRICES = {
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'GB-second, arm64 (first pricing tier)',
    source: 'https://aws.amazon.com/lambda/pricing/ (DESIGN.md "Money")',
    recorded: RECORDED,
  },
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    per: 'request',
    source: 'https://aws.amazon.com/lambda/pricing/ (DESIGN.md "Money")',
    recorded: RECORDED,
  },
  customMetricMonth: {
    usd: 0.3,
    per: 'custom metric-month (EMF metrics count; prorated by the hour a metric is published)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (DESIGN.md "Money")',
    recorded: RECORDED,
  },
  standardAlarmMonth: {
    usd: 0.1,
    per: 'standard-resolution alarm metric-month (a metric-math alarm pays for every metric its expression reads)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (DESIGN.md "Money"; "per alarm metric")',
    recorded: RECORDED,
    note: 'confirm the per-metric charge of metric-math alarms',
  },
  compositeAlarmMonth: {
    usd: 0.5,
    per: 'composite alarm-month',
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (docs/deploy.md; not in the DESIGN.md list)',
    recorded: RECORDED,
    note: 'confirm',
  },
  dashboardMonth: {
    usd: 3,
    per: 'dashboard-month (the first 3 dashboards of an account, up to 50 metrics each, are free)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    recorded: RECORDED,
    note: 'confirm; counted at list price, as every other free tier is ignored here',
  },
  getMetricDataMetric: {
    usd: 0.01 / 1000,
    per: 'metric requested through GetMetricData',
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (DESIGN.md "Money")',
    recorded: RECORDED,
  },
  logsIngestionGb: {
    usd: 0.5,
    per: 'GB of log data ingested (standard class)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (DESIGN.md "Money")',
    recorded: RECORDED,
  },
  dynamodbWriteUnit: {
    usd: 0.625 / 1_000_000,
    per: 'on-demand write request unit',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (DESIGN.md "Money")',
    recorded: RECORDED,
  },
  dynamodbReadUnit: {
    usd: 0.125 / 1_000_000,
    per: 'on-demand read request unit',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (DESIGN.md "Money")',
    recorded: RECORDED,
  },
  snsPublish: {
    usd: 0.5 / 1_000_000,
    per: 'SNS publish',
    source: 'https://aws.amazon.com/sns/pricing/ (DESIGN.md "Money")',
    recorded: RECORDED,
  },
  kmsKeyMonth: {
    usd: 1,
    per: 'customer-managed KMS key-month (the topic key)',
    source: 'https://aws.amazon.com/kms/pricing/ (docs/deploy.md; not in the DESIGN.md list)',
    recorded: RECORDED,
    note: 'confirm',
  },
  syntheticsCanaryRun: {
    usd: 0.0012,
    per: 'CloudWatch Synthetics canary run (run price only; its Lambda, S3 and logs are extra)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (DESIGN.md "Money")',
    recorded: RECORDED,
  },
  eventBridgeCustomEvent: {
    usd: 1 / 1_000_000,
    per: 'custom event put (PutEvents), per 64 KB chunk of the payload',
    source: 'https://aws.amazon.com/eventbridge/pricing/ (issue 19 brief: $1.00 per million custom events)',
    recorded: '2026-12',
  },
  eventBridgeCrossAccountEvent: {
    usd: 1 / 1_000_000,
    per: 'event delivered to an event bus in another account (billed as a custom event in the sending account)',
    source:
      'https://aws.amazon.com/eventbridge/pricing/ (issue 19 brief: bus-to-bus delivery counted as events)',
    recorded: '2026-12',
  },
  metricsInsightsAlarmMetric: {
    usd: 0.1,
    per: 'metric analysed by a Metrics Insights query alarm, per month (each time series the query reads)',
    source:
      'https://aws.amazon.com/cloudwatch/pricing/ (Alarms: "Metrics Insights query alarms: $0.10 per alarm metric analyzed"); https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-alarms.html',
    recorded: '2026-12',
    note: 'confirm: the docs corpus has the feature pages, not the pricing table; recorded at the standard-resolution alarm-metric rate',
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
