import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { LBGUARD_METRICS, LBGUARD_NAMESPACE, type LbGuardMetricName } from '../lib/metrics.ts';
import { targetGroupFullName } from './arns.ts';

export { LBGUARD_METRICS, LBGUARD_NAMESPACE, type LbGuardMetricName };

/** A metric lbguard emits for one service. */
export function lbguardMetric(
  service: string,
  metricName: LbGuardMetricName,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: LBGUARD_NAMESPACE,
    metricName,
    dimensionsMap: { Service: service },
    statistic,
    period,
  });
}

/** A load-balancer-level `AWS/ApplicationELB` metric. */
export function albMetric(
  loadBalancerFullName: string,
  metricName: string,
  statistic: string,
  period: Duration = Duration.minutes(1),
): cloudwatch.Metric {
  return applicationElbMetric({ LoadBalancer: loadBalancerFullName }, metricName, statistic, period);
}

/** A per-target-group `AWS/ApplicationELB` metric (health counts exist only at this level). */
export function targetGroupMetric(
  loadBalancerFullName: string,
  targetGroupArn: string,
  metricName: string,
  statistic: string,
  period: Duration = Duration.minutes(1),
): cloudwatch.Metric {
  return applicationElbMetric(
    { LoadBalancer: loadBalancerFullName, TargetGroup: targetGroupFullName(targetGroupArn) },
    metricName,
    statistic,
    period,
  );
}

function applicationElbMetric(
  dimensionsMap: Record<string, string>,
  metricName: string,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/ApplicationELB',
    metricName,
    dimensionsMap,
    statistic,
    period,
  });
}

/**
 * A dashboard-only SEARCH over every target group of a load balancer, so per-target-group
 * graphs need no list of target groups (alarms cannot use SEARCH; dashboards can).
 */
export function targetGroupSearch(
  loadBalancerFullName: string,
  metricName: string,
  statistic: string,
  label: string,
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} MetricName="${metricName}" LoadBalancer="${loadBalancerFullName}"', '${statistic}', 60)`,
    label,
    usingMetrics: {},
    period: Duration.minutes(1),
  });
}
