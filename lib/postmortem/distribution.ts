/**
 * The incident window's real per-target distribution (ALB access logs) as the postmortem's
 * "Impact by target" table, or the one line saying why there is none.
 */
import type { AccessLogDistribution, AccessLogSkewTest } from '../access-logs.ts';
import { formatCount } from '../format.ts';
import { formatPercent } from '../routing.ts';
import { formatDateTime } from './time.ts';

/** Why no per-target distribution could be read (access logs not enabled, not readable…). */
export interface DistributionUnavailable {
  readonly kind: 'unavailable';
  /** One sentence, ideally saying how to make it available next time. */
  readonly reason: string;
}

/** The table (with its source, truncation, malformed lines and skew test), or why there is none. */
export function renderDistribution(
  distribution: AccessLogDistribution | DistributionUnavailable | undefined,
): string[] {
  if (distribution === undefined) return [];
  if (distribution.kind === 'unavailable') return [`- **Per-target distribution**: ${distribution.reason}`];
  const d = distribution;
  const objects =
    d.objects === undefined ? '' : ` from ${formatCount(d.objects)} log file${d.objects === 1 ? '' : 's'}`;
  const interval = `Share [${formatPercent(d.confidence)} CI]`;
  const rows = d.targets.map(
    (t) =>
      `| ${t.key} | ${formatCount(t.requests)} | ${formatPercent(t.share)} [${formatPercent(t.low).replace('%', '')}–${formatPercent(t.high)}] | ${formatCount(t.target5xx)} | ${formatCount(t.elb5xx)} |`,
  );
  const noTarget =
    d.noTarget.requests === 0
      ? []
      : [
          `| no target (ALB answered) | ${formatCount(d.noTarget.requests)} | – | – | ${formatCount(d.noTarget.elb5xx)} |`,
        ];
  const notes = [
    ...(d.truncation === undefined
      ? []
      : [`- **Truncated**: ${d.truncation}; the counts are a lower bound.`]),
    ...(d.lines.malformed === 0
      ? []
      : [
          `- ${formatCount(d.lines.malformed)} malformed log line${d.lines.malformed === 1 ? '' : 's'} skipped${d.lines.malformedExamples[0] === undefined ? '' : ` (first: ${d.lines.malformedExamples[0].where}: ${d.lines.malformedExamples[0].reason})`}.`,
        ]),
    ...renderSkewTest(d.test),
  ];
  return [
    '',
    '### Impact by target',
    '',
    `Source: ${d.source}, ${formatDateTime(d.from)} to ${formatDateTime(d.to)}: ${formatCount(d.requests)} request${d.requests === 1 ? '' : 's'}${objects}.`,
    '',
    ...(rows.length + noTarget.length === 0
      ? ['- No requests were logged in the incident window.']
      : [
          `| Target | Requests | ${interval} | Target 5xx | ELB 5xx |`,
          '| --- | ---: | --- | ---: | ---: |',
          ...rows,
          ...noTarget,
        ]),
    ...(notes.length === 0 ? [] : ['', ...notes]),
  ];
}

function renderSkewTest(test: AccessLogSkewTest): string[] {
  if (test.kind === 'untested') return [`- Skew test: not run: ${test.reason}.`];
  const excluded =
    test.excluded === 0
      ? ''
      : ` (${formatCount(test.excluded)} request${test.excluded === 1 ? '' : 's'} to targets with no expected share left out)`;
  const skew = test.skew;
  switch (skew.kind) {
    case 'insufficient-data':
      return [
        `- Skew test against the expected shares${excluded}: insufficient data (${formatCount(skew.samples)} of the ${formatCount(skew.minSamples)} requests needed).`,
      ];
    case 'balanced':
      return [
        `- Skew test against the expected shares${excluded}: balanced (p = ${skew.pValue.toPrecision(2)}, total variation distance ${skew.effectSize.toFixed(2)}).`,
      ];
    case 'skewed':
      return [
        `- Skew test against the expected shares${excluded}: **skewed**:`,
        ...skew.evidence.map((line) => `  - ${line}`),
      ];
  }
}
