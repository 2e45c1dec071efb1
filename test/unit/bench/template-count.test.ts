import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  countTemplateResources,
  type SynthesizedTemplate,
  splitTemplateCounts,
} from '../../../bench/template-count.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

const at = (cdkPath: string) => ({ 'aws:cdk:path': cdkPath });

/** A cut-down template in the shape `cdk synth` writes, path metadata on. */
const fixture: SynthesizedTemplate = {
  Resources: {
    Key: { Type: 'AWS::KMS::Key', Metadata: at('S/Guard/TopicKey/Resource') },
    Fn: { Type: 'AWS::Lambda::Function', Metadata: at('S/Guard/Probe/Resource') },
    Role: { Type: 'AWS::IAM::Role', Metadata: at('S/Guard/ProbeRole/Resource') },
    Board: { Type: 'AWS::CloudWatch::Dashboard', Metadata: at('S/Guard/Dashboard/Dashboard/Resource') },
    OpErrors: {
      Type: 'AWS::CloudWatch::Alarm',
      Metadata: at('S/Guard/OperationalAlarms/ProbeErrors/Resource'),
    },
    ShopProbe: { Type: 'AWS::CloudWatch::Alarm', Metadata: at('S/Guard/Alarms-shop/ProbeFailing/Resource') },
    ShopUnhealthy: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { Metrics: [{}, { MetricStat: {} }, { MetricStat: {} }, { MetricStat: {} }] },
      Metadata: at('S/Guard/Alarms-shop/UnhealthyHosts/Resource'),
    },
    ShopDegraded: {
      Type: 'AWS::CloudWatch::CompositeAlarm',
      Metadata: at('S/Guard/Alarms-shop/ServiceDegraded/Resource'),
    },
    // A name that begins like another service's must not be taken for it.
    ShoppingProbe: {
      Type: 'AWS::CloudWatch::Alarm',
      Metadata: at('S/Guard/Alarms-shopping/ProbeFailing/Resource'),
    },
  },
};

describe('splitTemplateCounts', () => {
  const counts = splitTemplateCounts(fixture, {
    deploymentPath: 'S/Guard',
    servicePaths: { shop: 'S/Guard/Alarms-shop', shopping: 'S/Guard/Alarms-shopping' },
  });

  it("gives a service the resources under its alarms' construct, billing a math alarm per metric", () => {
    expect(counts.services.shop).toEqual({
      standardAlarms: 2,
      alarmMetrics: 4,
      compositeAlarms: 1,
      kmsKeys: 0,
      dashboards: 0,
      functions: 0,
      billable: ['ProbeFailing', 'UnhealthyHosts', 'ServiceDegraded'],
    });
    expect(counts.services.shopping?.standardAlarms).toBe(1);
  });

  it('gives the deployment everything else that is billable, and leaves out what is free', () => {
    expect(counts.deployment).toEqual({
      standardAlarms: 1,
      alarmMetrics: 1,
      compositeAlarms: 0,
      kmsKeys: 1,
      dashboards: 1,
      functions: 1,
      billable: ['TopicKey', 'Probe', 'Dashboard/Dashboard', 'OperationalAlarms/ProbeErrors'],
    });
  });

  it('refuses a template without construct paths, naming the resource and the context to set', () => {
    expect(() =>
      splitTemplateCounts(
        { Resources: { Bare: { Type: 'AWS::CloudWatch::Alarm' } } },
        { deploymentPath: 'S/Guard', servicePaths: {} },
      ),
    ).toThrow(/Bare .*aws:cdk:enable-path-metadata/);
  });
});

describe('countTemplateResources on the real stack', () => {
  it('keeps the shared resources once and gives each further service the same set of its own', () => {
    const one = countTemplateResources(REPO_ROOT, { serviceCount: 1, targetGroupsPerService: 1 });
    const two = countTemplateResources(REPO_ROOT, { serviceCount: 2, targetGroupsPerService: 3 });
    const shop = one.services.shop;
    expect(shop).toBeDefined();
    expect(two.deployment).toEqual(one.deployment);
    expect(Object.keys(two.services)).toEqual(['shop', 'shop-2']);
    for (const service of Object.values(two.services)) {
      expect(service.billable).toEqual(shop?.billable);
      // UnhealthyHosts reads one metric per target group: 3 instead of 1.
      expect(service.alarmMetrics).toBe((shop?.alarmMetrics ?? 0) + 2);
    }
    expect(one.deployment.billable).toContain('OperationalAlarms/ProbeNotRunning');
    // The topic's key and the state key (the HMAC key that vouches for last known good).
    expect(one.deployment.kmsKeys).toBe(2);
    // The dashboard and the per-service composite are opt-in (issue 18).
    expect(one.deployment.dashboards).toBe(0);
    expect(shop?.compositeAlarms).toBe(0);
    // ProbeFailing, Elb5xx, UnhealthyHosts, Signal, ConfigDrift; and four operational alarms.
    expect(shop?.alarmMetrics).toBe(5);
    expect(one.deployment.alarmMetrics).toBe(4);
    expect(shop?.kmsKeys).toBe(0);
  });
});
