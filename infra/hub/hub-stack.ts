import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LBGUARD_VERSION } from '../package-version.ts';
import { LbGuardHub, type LbGuardHubProps } from './hub-construct.ts';

/** Props of the stand-alone hub stack: the construct's props plus the stack's own. */
export interface LbGuardHubStackProps extends StackProps, LbGuardHubProps {}

/** The hub deployed on its own (`cdk deploy -c stack=hub`), with what spokes and operators need. */
export class LbGuardHubStack extends Stack {
  readonly hub: LbGuardHub;

  constructor(scope: Construct, id: string, props: LbGuardHubStackProps) {
    super(scope, id, props);
    this.hub = new LbGuardHub(this, 'Hub', props);
    new CfnOutput(this, 'HubEventBusArn', {
      description: "The hub bus: every spoke's HubEventBusArn parameter",
      value: this.hub.bus.eventBusArn,
    });
    new CfnOutput(this, 'TopicArn', {
      description: 'Hub topic: coverage changes and the hub alarms (subscribe the on-call here)',
      value: this.hub.topic.topicArn,
    });
    new CfnOutput(this, 'TableName', {
      description: 'Hub table (lbguard status --fleet --hub)',
      value: this.hub.table.tableName,
    });
    new CfnOutput(this, 'CoverageRoleArn', {
      description: "hub-coverage's role: the fleet reader role trusts it (LbGuardFleetRole HubAccountId)",
      value: this.hub.coverageFunction.role?.roleArn ?? '',
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'Fleet dashboard',
      value: this.hub.dashboard.dashboard.dashboardName,
    });
    new CfnOutput(this, 'LbGuardVersion', {
      description: 'The lbguard package this stack was synthesized from',
      value: LBGUARD_VERSION,
    });
  }
}
