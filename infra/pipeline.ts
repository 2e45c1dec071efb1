import { Stage, type StageProps } from 'aws-cdk-lib';
import type * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import { LbGuardStack, type LbGuardStackProps } from './lbguard-stack.ts';

/** One spoke: an account and a region that get their own lbguard stack. */
export interface SpokeTarget {
  readonly account: string;
  readonly region: string;
}

/** The spoke stack's props in a pipeline: everything but where it goes (the stage says). */
export type SpokeStackProps = Omit<LbGuardStackProps, 'env' | 'stackSet'>;

/** Props of `LbGuardSpokeStage`. */
export interface LbGuardSpokeStageProps extends StageProps {
  readonly spoke: SpokeStackProps;
  /**
   * The stack's name in every account and region.
   * @default 'LbGuard'
   */
  readonly stackName?: string;
}

/**
 * One spoke as a CDK Pipelines stage: an `LbGuardStack` in the stage's account and region. The
 * stack's construct id is `LbGuard` in every stage, so a spoke deployed by the pipeline keeps the
 * logical IDs of one deployed with `cdk deploy`.
 */
export class LbGuardSpokeStage extends Stage {
  readonly stack: LbGuardStack;

  constructor(scope: Construct, id: string, props: LbGuardSpokeStageProps) {
    super(scope, id, props);
    this.stack = new LbGuardStack(this, 'LbGuard', {
      ...props.spoke,
      stackName: props.stackName ?? 'LbGuard',
    });
  }
}

/**
 * Adds the spokes to `pipeline` as waves, in order: every spoke of a wave deploys in parallel, and
 * a wave starts only once the one before it has deployed, so a bad change stops at the first
 * wave (a canary account, say) instead of reaching the organisation. Stage ids are
 * `Spoke-<account>-<region>`, wave ids `<wavePrefix><n>` from 1. A spoke listed twice is refused.
 */
export function addSpokeWaves(
  pipeline: pipelines.PipelineBase,
  spoke: SpokeStackProps,
  waves: readonly (readonly SpokeTarget[])[],
  options: { readonly wavePrefix?: string; readonly stackName?: string } = {},
): pipelines.Wave[] {
  const seen = new Set<string>();
  return waves.map((targets, index) => {
    const wave = pipeline.addWave(`${options.wavePrefix ?? 'Spokes'}${index + 1}`);
    for (const target of targets) {
      const key = `${target.account}-${target.region}`;
      if (seen.has(key)) {
        throw new Error(
          `lbguard: spoke ${target.account}/${target.region} is in two waves; one lbguard per account and region`,
        );
      }
      seen.add(key);
      wave.addStage(
        new LbGuardSpokeStage(pipeline, `Spoke-${key}`, {
          env: { account: target.account, region: target.region },
          spoke,
          ...(options.stackName === undefined ? {} : { stackName: options.stackName }),
        }),
      );
    }
    return wave;
  });
}
