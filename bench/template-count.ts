// Counts the billable monitoring resources in the synthesized stack (the example config, default
// props), without bundling the functions: CDK skips asset bundling for stacks not listed in the
// `aws:cdk:bundling-stacks` context. Resources are split by the construct that made them: those
// under a service's `ServiceAlarms` are paid once per guarded service, everything else once per
// deployment, whatever the number of services.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { LbGuardStack } from '../infra/lbguard-stack.ts';
import { type LbGuardConfig, loadConfigOrThrow } from '../lib/config/index.ts';

/** Billable resources of one scope: the deployment, or one guarded service. */
export interface ScopeCounts {
  /** `AWS::CloudWatch::Alarm` resources. */
  readonly standardAlarms: number;
  /**
   * What CloudWatch bills metric alarms by: one per metric an alarm reads, so a metric-math alarm
   * counts every metric of its expression (UnhealthyHosts: one per target group).
   */
  readonly alarmMetrics: number;
  readonly compositeAlarms: number;
  readonly kmsKeys: number;
  readonly dashboards: number;
  readonly functions: number;
  /** Construct paths (relative to the scope) of the billable resources counted, for the working. */
  readonly billable: readonly string[];
}

export interface TemplateCounts {
  /** Created once, whatever the number of services. */
  readonly deployment: ScopeCounts;
  /** Per guarded service, by name. */
  readonly services: Readonly<Record<string, ScopeCounts>>;
}

/** The parts of a CloudFormation template the count reads. */
export interface SynthesizedTemplate {
  readonly Resources: Readonly<
    Record<
      string,
      {
        readonly Type: string;
        readonly Properties?: { readonly Metrics?: readonly { readonly MetricStat?: unknown }[] };
        readonly Metadata?: Readonly<Record<string, unknown>>;
        /** Set on the hub forwarding's resources, which exist only when the stack is given a hub. */
        readonly Condition?: string;
      }
    >
  >;
}

const PATH_METADATA = 'aws:cdk:path';
const BILLABLE_TYPES = new Set([
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm',
  'AWS::KMS::Key',
  'AWS::CloudWatch::Dashboard',
  'AWS::Lambda::Function',
]);

interface MutableCounts {
  standardAlarms: number;
  alarmMetrics: number;
  compositeAlarms: number;
  kmsKeys: number;
  dashboards: number;
  functions: number;
  billable: string[];
}

const empty = (): MutableCounts => ({
  standardAlarms: 0,
  alarmMetrics: 0,
  compositeAlarms: 0,
  kmsKeys: 0,
  dashboards: 0,
  functions: 0,
  billable: [],
});

/**
 * Splits a synthesized template's billable resources by their `aws:cdk:path`: a resource under
 * one of `servicePaths` (the construct path of that service's alarms) belongs to that service,
 * any other to the deployment, relative to `deploymentPath`.
 */
export function splitTemplateCounts(
  template: SynthesizedTemplate,
  scopes: { readonly deploymentPath: string; readonly servicePaths: Readonly<Record<string, string>> },
): TemplateCounts {
  const deployment = empty();
  const services: Record<string, MutableCounts> = {};
  for (const name of Object.keys(scopes.servicePaths)) services[name] = empty();

  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!BILLABLE_TYPES.has(resource.Type)) continue;
    // A spoke without a hub (the basis priced here) has none of its conditional resources; the
    // fleet cost model (bench/fleet-cost.ts) prices what the hub adds.
    if (resource.Condition !== undefined) continue;
    const cdkPath = resource.Metadata?.[PATH_METADATA];
    if (typeof cdkPath !== 'string') {
      throw new Error(
        `template resource ${logicalId} has no ${PATH_METADATA} metadata, so its construct is unknown; synthesize with the context 'aws:cdk:enable-path-metadata': true`,
      );
    }
    const owner = Object.entries(scopes.servicePaths).find(([, prefix]) => cdkPath.startsWith(`${prefix}/`));
    const counts = owner === undefined ? deployment : services[owner[0]];
    if (counts === undefined) continue;
    const prefix = owner === undefined ? scopes.deploymentPath : owner[1];
    const relative = cdkPath.startsWith(`${prefix}/`) ? cdkPath.slice(prefix.length + 1) : cdkPath;
    counts.billable.push(relative.replace(/\/Resource$/, ''));
    switch (resource.Type) {
      case 'AWS::CloudWatch::Alarm': {
        counts.standardAlarms++;
        // A single-metric alarm has no Metrics array; a math alarm lists its expression too.
        const metrics = resource.Properties?.Metrics;
        counts.alarmMetrics +=
          metrics === undefined ? 1 : metrics.filter((m) => m.MetricStat !== undefined).length;
        break;
      }
      case 'AWS::CloudWatch::CompositeAlarm':
        counts.compositeAlarms++;
        break;
      case 'AWS::KMS::Key':
        counts.kmsKeys++;
        break;
      case 'AWS::CloudWatch::Dashboard':
        counts.dashboards++;
        break;
      case 'AWS::Lambda::Function':
        counts.functions++;
        break;
    }
  }
  return { deployment, services };
}

/** Shape of the synthesized stack: how many services, and guarded target groups for each. */
export interface CountOptions {
  /**
   * Guarded services: the example config's service, then copies of it on load balancers of their own.
   * @default 1
   */
  readonly serviceCount?: number;
  /**
   * Target groups passed per service (`services.<name>.targetGroupArns`), each adding a metric to
   * the UnhealthyHosts alarm; the bench's inspect basis is one.
   * @default 1
   */
  readonly targetGroupsPerService?: number;
}

/** Synthesizes the stand-alone stack and splits its billable resources by construct. */
export function countTemplateResources(repoRoot: string, options: CountOptions = {}): TemplateCounts {
  const serviceCount = options.serviceCount ?? 1;
  const targetGroups = options.targetGroupsPerService ?? 1;
  if (!(Number.isInteger(serviceCount) && serviceCount >= 1))
    throw new Error(`serviceCount must be a whole number of services, at least 1; got ${serviceCount}`);
  if (!(Number.isInteger(targetGroups) && targetGroups >= 0))
    throw new Error(`targetGroupsPerService must be a whole number, 0 or more; got ${targetGroups}`);
  const example = loadConfigOrThrow(
    readFileSync(path.join(repoRoot, 'lbguard.config.example.yaml'), 'utf8'),
    'lbguard.config.example.yaml',
  );
  const config = withServiceCopies(example, serviceCount);
  const outdir = mkdtempSync(path.join(tmpdir(), 'lbguard-bench-cdk-'));
  try {
    const app = new App({
      outdir,
      context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true },
    });
    const stack = new LbGuardStack(app, 'LbGuardBench', {
      env: { account: '123456789012', region: 'eu-west-1' },
      config,
      services: Object.fromEntries(
        config.services.map((s, i) => [
          s.name,
          {
            targetGroupArns: Array.from(
              { length: targetGroups },
              (_, j) =>
                `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/bench-${i}-${j}/${(i * 100 + j).toString(16).padStart(16, '0')}`,
            ),
          },
        ]),
      ),
    });
    const template = app.synth().getStackByName(stack.stackName).template as SynthesizedTemplate;
    return splitTemplateCounts(template, {
      deploymentPath: stack.guard.node.path,
      servicePaths: Object.fromEntries(
        Object.entries(stack.guard.serviceAlarms).map(([name, alarms]) => [name, alarms.node.path]),
      ),
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The first service, plus `count - 1` copies named `<name>-2`… on load balancers of their own. */
function withServiceCopies(config: LbGuardConfig, count: number): LbGuardConfig {
  const first = config.services[0];
  if (first === undefined) throw new Error('lbguard.config.example.yaml has no service to count');
  const copies = Array.from({ length: count - 1 }, (_, i) => {
    const name = `${first.name}-${i + 2}`;
    const rename = (arn: string): string => arn.replace(`/app/${first.name}/`, `/app/${name}/`);
    return {
      ...first,
      name,
      loadBalancerArn: rename(first.loadBalancerArn),
      ...(first.listenerArns === undefined ? {} : { listenerArns: first.listenerArns.map(rename) }),
    };
  });
  return { ...config, services: [first, ...copies] };
}
