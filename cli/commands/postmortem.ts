import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { AlbAccessLogReader } from '../../lambdas/adapters/alb-access-logs.ts';
import { awsClientConfig } from '../../lambdas/adapters/clients.ts';
import { instanceTargetAliases } from '../../lambdas/adapters/ec2-addresses.ts';
import { type AccessLogDistribution, expectedAccessLogShares } from '../../lib/access-logs.ts';
import type { ServiceConfig } from '../../lib/config/index.ts';
import { LbGuardError } from '../../lib/errors.ts';
import type { Incident } from '../../lib/incident.ts';
import { type DistributionUnavailable, renderPostmortem } from '../../lib/postmortem.ts';
import { modelRouting } from '../../lib/routing.ts';
import type { TargetHealth } from '../../lib/types.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { type AwsContext, loadOptionalConfig, withAws } from '../context.ts';
import { EXIT, usageError } from '../exit.ts';

/** Incident ids are `<service>#<openedAt>` (lib/incident.ts `newIncidentId`). */
export function serviceOfIncident(id: string): string | undefined {
  const hash = id.indexOf('#');
  return hash > 0 ? id.slice(0, hash) : undefined;
}

/** What the draft says about the incident window's per-target distribution, and why. */
type AccessLogOutcome =
  | { readonly outcome: 'read'; readonly distribution: AccessLogDistribution }
  | { readonly outcome: 'not-enabled' | 'failed'; readonly distribution: DistributionUnavailable }
  | { readonly outcome: 'skipped'; readonly reason: string };

/**
 * The incident window's per-target distribution from the service's ALB access logs, tested
 * against last known good's routing when one route explains the whole load balancer. A failure
 * to read them costs the table, never the draft.
 */
async function readAccessLogs(
  aws: AwsContext,
  service: ServiceConfig,
  incident: Incident,
  now: string,
): Promise<AccessLogOutcome> {
  const s3 = new S3Client({
    ...awsClientConfig(aws.clientOptions),
    // Emulators and S3-compatible endpoints serve buckets by path, not by host name.
    forcePathStyle: aws.clientOptions.endpoint !== undefined,
  });
  const ec2 = new EC2Client(awsClientConfig(aws.clientOptions));
  try {
    const lastGood = await aws.store.getLastGood(service.name);
    const shares =
      lastGood === undefined
        ? { kind: 'unknown' as const, reason: 'no last known good snapshot' }
        : expectedAccessLogShares(modelRouting(lastGood.snapshot, allHealthy(lastGood.snapshot)));
    // Instance targets are logged by private IP: name them as the snapshot does. Without EC2
    // access the table still stands, by address; only the skew test needs the names.
    let aliases: Record<string, string> = {};
    let aliasProblem: string | undefined;
    try {
      aliases = lastGood === undefined ? {} : await instanceTargetAliases(ec2, lastGood.snapshot);
    } catch (error) {
      if (!(error instanceof LbGuardError)) throw error;
      aliasProblem = `instance targets could not be named from their private IPs (${error.message}; grant ec2:DescribeInstances)`;
    }
    const reader = new AlbAccessLogReader(s3, aws.clients.elbv2);
    const read = await reader.readWindow(service.loadBalancerArn, {
      from: incident.openedAt,
      to: incident.closedAt ?? now,
      ...(Object.keys(aliases).length === 0 ? {} : { aliases }),
      ...(shares.kind === 'known' ? { expected: shares.expected, thresholds: service.thresholds.skew } : {}),
    });
    if (read.kind === 'not-enabled') {
      const lb = read.location.loadBalancer.name;
      return {
        outcome: 'not-enabled',
        distribution: {
          kind: 'unavailable',
          reason: `ALB access logs are not enabled on load balancer ${lb}, so the per-target distribution of this window is unknown; set its attributes access_logs.s3.enabled=true and access_logs.s3.bucket=BUCKET (docs/per-target-distribution.md) to have it next time.`,
        },
      };
    }
    const { test } = read.distribution;
    // Why the test did not run, in the terms of this command rather than the aggregator's.
    let untested: string | undefined;
    if (test.kind === 'untested' && shares.kind === 'unknown')
      untested = `expected shares unknown: ${shares.reason}`;
    else if (test.kind === 'untested' && aliasProblem !== undefined)
      untested = `${test.reason}; ${aliasProblem}`;
    return {
      outcome: 'read',
      distribution:
        untested === undefined
          ? read.distribution
          : { ...read.distribution, test: { kind: 'untested', reason: untested } },
    };
  } catch (error) {
    if (!(error instanceof LbGuardError)) throw error;
    return {
      outcome: 'failed',
      distribution: { kind: 'unavailable', reason: `could not read the ALB access logs: ${error.message}.` },
    };
  } finally {
    s3.destroy();
    ec2.destroy();
  }
}

/** Last known good was promoted while healthy, so every target in it was taking traffic. */
function allHealthy(snapshot: Parameters<typeof modelRouting>[0]): TargetHealth[] {
  return snapshot.targetGroups.flatMap((g) =>
    g.targets.map((t) => ({
      targetGroupArn: g.arn,
      targetId: t.id,
      ...(t.port === undefined ? {} : { port: t.port }),
      state: 'healthy' as const,
    })),
  );
}

/**
 * `lbguard postmortem INCIDENT_ID [--out FILE] [--no-access-logs]`: drafts the postmortem of one
 * incident in the team's shape (lib/postmortem.ts), to stdout or a file. When the service's load
 * balancer writes access logs, the impact section gets the window's real per-target distribution.
 */
export async function postmortem(ctx: CommandContext): Promise<CommandResult> {
  const { io, global, options, positionals, render } = ctx;
  const id = positionals[0] ?? '';
  const service = serviceOfIncident(id);
  if (service === undefined) {
    throw usageError(
      `${id} is not an incident id; ids look like shop#2026-11-24T14:02:11.000Z`,
      'list them with: lbguard incidents',
    );
  }
  const config = await loadOptionalConfig(io, global);
  return withAws(ctx, config, async (aws) => {
    const incident = await aws.store.getIncident(service, id);
    if (incident === undefined) {
      throw usageError(
        `no incident ${id} in table ${aws.tableName}`,
        `list them with: lbguard incidents --service ${service}`,
      );
    }
    const serviceConfig = config?.services.find((s) => s.name === service);
    const skip = options.accessLogs === false;
    const accessLogs: AccessLogOutcome = skip
      ? { outcome: 'skipped', reason: '--no-access-logs' }
      : serviceConfig === undefined
        ? {
            outcome: 'skipped',
            reason: `service ${service} is not in the config, so its load balancer is unknown`,
          }
        : await readAccessLogs(aws, serviceConfig, incident, io.now());
    const markdown = renderPostmortem(
      incident,
      accessLogs.outcome === 'skipped' ? {} : { distribution: accessLogs.distribution },
    );
    if (options.out !== undefined) await writeFile(resolve(io.cwd, options.out), markdown, 'utf8');
    return {
      exitCode: EXIT.ok,
      document: envelope('postmortem', EXIT.ok, {
        incidentId: id,
        service,
        state: incident.state,
        out: options.out ?? null,
        accessLogs,
        markdown,
      }),
      text:
        options.out === undefined
          ? markdown.trimEnd()
          : render.mark('ok', `postmortem draft of ${id} written to ${options.out}`),
    };
  });
}
