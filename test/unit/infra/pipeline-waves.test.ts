// Rolling spokes out with CDK Pipelines (issue 19): a pipeline sourced from a CodeStar connection
// (no network at synth) gets one wave per list of spokes, each spoke an LbGuardSpokeStage.
import { App, Stack } from 'aws-cdk-lib';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { beforeAll, describe, expect, it } from 'vitest';
import { addSpokeWaves, LbGuardSpokeStage, LbGuardStack } from '../../../infra/index.ts';
import { loadConfigOrThrow } from '../../../lib/config/index.ts';
import { SYNTH_TIMEOUT } from './stacks.ts';

const config = loadConfigOrThrow(
  `
version: 1
discovery:
  profiles:
    web:
      probes:
        - { name: home, url: "https://example.com/" }
services: []
`,
  'org.yaml',
);

const WAVES = [
  [{ account: '111111111111', region: 'eu-west-1' }],
  [
    { account: '222222222222', region: 'eu-west-1' },
    { account: '222222222222', region: 'us-east-1' },
  ],
] as const;

function pipelineStack(app: App): { stack: Stack; pipeline: pipelines.CodePipeline } {
  const stack = new Stack(app, 'Delivery', { env: { account: '000000000000', region: 'eu-west-1' } });
  const pipeline = new pipelines.CodePipeline(stack, 'Pipeline', {
    crossAccountKeys: true,
    // aws-cdk-lib's own types disagree under exactOptionalPropertyTypes (primaryOutput).
    synth: new pipelines.ShellStep('Synth', {
      input: pipelines.CodePipelineSource.connection('acme/lbguard-fleet', 'main', {
        connectionArn:
          'arn:aws:codeconnections:eu-west-1:000000000000:connection/00000000-0000-0000-0000-000000000000',
      }) as unknown as pipelines.IFileSetProducer,
      commands: ['npm ci', 'npx cdk synth'],
    }) as unknown as pipelines.IFileSetProducer,
  });
  return { stack, pipeline };
}

type Stage = {
  Name: string;
  Actions: {
    Name: string;
    ActionTypeId: { Category: string };
    RunOrder?: number;
    Region?: string;
    RoleArn?: unknown;
    Configuration?: Record<string, unknown>;
  }[];
};

let stages: Stage[];
let app: App;

beforeAll(() => {
  app = new App({ outdir: `${process.env.TMPDIR ?? '/tmp'}/lbguard-pipeline-${process.pid}` });
  const { stack, pipeline } = pipelineStack(app);
  const waves = addSpokeWaves(pipeline, { config }, WAVES);
  expect(waves.map((w) => w.id)).toEqual(['Spokes1', 'Spokes2']);
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: { Stages?: Stage[] } }>;
  };
  const [codePipeline] = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::CodePipeline::Pipeline',
  );
  stages = codePipeline?.Properties.Stages ?? [];
}, SYNTH_TIMEOUT * 2);

describe('addSpokeWaves', () => {
  it('adds one pipeline stage per wave, after the source, build and self-mutation', () => {
    // CDK Pipelines names a wave of a single stage after that stage.
    expect(stages.map((s) => s.Name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      'Spoke-111111111111-eu-west-1',
      'Spokes2',
    ]);
  });

  it("deploys each wave's spokes in parallel, each with its own change set in its account and region", () => {
    /** Per Deploy action: its run order, mode, stack, region and the account of the role it assumes. */
    const deploys = (wave: string) =>
      (stages.find((s) => s.Name === wave)?.Actions ?? [])
        .filter((a) => a.ActionTypeId.Category === 'Deploy')
        .map((a) => {
          const role = JSON.stringify(a.RoleArn ?? '');
          return [
            a.RunOrder,
            a.Configuration?.ActionMode,
            a.Configuration?.StackName,
            // CodePipeline leaves Region out for the pipeline's own region.
            a.Region ?? 'eu-west-1',
            /:iam::(\d{12}):role/.exec(role)?.[1],
          ];
        })
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(deploys('Spoke-111111111111-eu-west-1')).toEqual([
      [1, 'CHANGE_SET_REPLACE', 'LbGuard', 'eu-west-1', '111111111111'],
      [2, 'CHANGE_SET_EXECUTE', 'LbGuard', 'eu-west-1', '111111111111'],
    ]);
    expect(deploys('Spokes2')).toEqual([
      [1, 'CHANGE_SET_REPLACE', 'LbGuard', 'eu-west-1', '222222222222'],
      [1, 'CHANGE_SET_REPLACE', 'LbGuard', 'us-east-1', '222222222222'],
      [2, 'CHANGE_SET_EXECUTE', 'LbGuard', 'eu-west-1', '222222222222'],
      [2, 'CHANGE_SET_EXECUTE', 'LbGuard', 'us-east-1', '222222222222'],
    ]);
  });

  it('puts an LbGuardStack named LbGuard in every spoke stage, in its account and region', () => {
    const spokes = app.node.findAll().filter((c): c is LbGuardSpokeStage => c instanceof LbGuardSpokeStage);
    expect(
      spokes.map((s) => [s.account, s.region, s.stack.stackName, s.stack instanceof LbGuardStack]),
    ).toEqual([
      ['111111111111', 'eu-west-1', 'LbGuard', true],
      ['222222222222', 'eu-west-1', 'LbGuard', true],
      ['222222222222', 'us-east-1', 'LbGuard', true],
    ]);
  });

  it('refuses a spoke listed in two waves', () => {
    const { pipeline } = pipelineStack(new App());
    expect(() => addSpokeWaves(pipeline, { config }, [[WAVES[0][0]], [WAVES[0][0]]])).toThrow(/in two waves/);
  });
});
