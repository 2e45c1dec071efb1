import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { PlanSources } from '../lambdas/adapters/cloudformation-plans.ts';
import type { PlannedStack } from '../lambdas/flows/plan-gate.ts';
import { checkChangeSetTemplate } from '../lib/predict/change-set.ts';
import { readAssemblyManifest } from '../lib/predict/cloud-assembly.ts';
import { parseTemplateText } from '../lib/predict/template-text.ts';
import { CliError, usageError } from './exit.ts';

// `--plan` as typed: a CloudFormation change set ARN, a CDK cloud assembly directory (cdk.out),
// or one template file (JSON or YAML). Turned into the stacks the gate judges.

const CHANGE_SET_ARN = /^arn:aws[\w-]*:cloudformation:[^:]+:\d{12}:changeSet\//;
/** Deep enough for a pipeline's stages (each a nested assembly), bounded against a cycle. */
const MAX_ASSEMBLY_DEPTH = 4;

export type PlanInput =
  | { readonly kind: 'change-set'; readonly arn: string }
  | { readonly kind: 'cloud-assembly'; readonly directory: string }
  | { readonly kind: 'template'; readonly file: string; readonly stackName?: string };

/** What `--plan` names; a path that does not exist is a usage error naming it. */
export async function classifyPlanInput(plan: string, cwd: string, stackName?: string): Promise<PlanInput> {
  if (CHANGE_SET_ARN.test(plan)) {
    if (stackName !== undefined)
      throw usageError('--stack is not needed with a change set ARN: the change set names its stack');
    return { kind: 'change-set', arn: plan };
  }
  const path = resolve(cwd, plan);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) {
    throw usageError(
      `--plan ${plan}: no such file or directory, and not a change set ARN`,
      'give a cdk.out directory, a template file (JSON or YAML) or arn:aws:cloudformation:<region>:<account>:changeSet/<name>/<id>',
    );
  }
  if (info.isDirectory()) {
    if (stackName !== undefined)
      throw usageError('--stack is not needed with a cdk.out directory: its manifest names each stack');
    return { kind: 'cloud-assembly', directory: path };
  }
  return stackName === undefined
    ? { kind: 'template', file: path }
    : { kind: 'template', file: path, stackName };
}

/** The stacks a plan input deploys, each with its template parsed. */
export async function loadPlannedStacks(input: PlanInput, sources: PlanSources): Promise<PlannedStack[]> {
  switch (input.kind) {
    case 'change-set': {
      const cs = await sources.changeSet(input.arn);
      const read = parseTemplateText(cs.templateBody, `the template of change set ${cs.changeSetName}`);
      const template = read.ok ? read.template : { Resources: {} };
      const problems = [
        ...(read.ok ? [] : [read.problem]),
        ...checkChangeSetTemplate(template, cs.changes, cs.currentTemplateBody, cs.templateBody),
      ];
      if (problems.length > 0) {
        throw new CliError(
          'aws',
          `CloudFormation did not return change set ${cs.changeSetName}'s template: ${problems.join('; ')}`,
          {
            hints: [
              'the gate cannot predict a template it cannot read; on a local emulator, pass the template file with --plan FILE --stack NAME',
            ],
          },
        );
      }
      return [
        {
          label: `change set ${cs.changeSetName} (stack ${cs.stackName}, ${cs.status})`,
          stackName: cs.stackName,
          template,
          parameters: cs.parameters,
        },
      ];
    }
    case 'template':
      return [
        {
          label:
            input.stackName === undefined
              ? basename(input.file)
              : `${basename(input.file)} (stack ${input.stackName})`,
          ...(input.stackName === undefined ? {} : { stackName: input.stackName }),
          template: parsed(await readFile(input.file, 'utf8'), input.file),
        },
      ];
    case 'cloud-assembly':
      return readAssembly(input.directory, basename(input.directory), 0);
  }
}

async function readAssembly(directory: string, shown: string, depth: number): Promise<PlannedStack[]> {
  const manifestPath = join(directory, 'manifest.json');
  const text = await readFile(manifestPath, 'utf8').catch(() => undefined);
  if (text === undefined) {
    throw usageError(
      `--plan ${shown}: a directory without manifest.json is not a cloud assembly`,
      'run cdk synth first, then --plan cdk.out',
    );
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw usageError(`${shown}/manifest.json is not JSON`, 'run cdk synth again');
  }
  const contents = readAssemblyManifest(manifest);
  const stacks: PlannedStack[] = [];
  for (const s of contents.stacks) {
    const file = join(directory, s.templateFile);
    stacks.push({
      label: `${shown}/${s.templateFile} (stack ${s.stackName})`,
      stackName: s.stackName,
      template: parsed(await readFile(file, 'utf8'), file),
    });
  }
  if (depth < MAX_ASSEMBLY_DEPTH) {
    for (const dir of contents.nested)
      stacks.push(...(await readAssembly(join(directory, dir), `${shown}/${dir}`, depth + 1)));
  }
  return stacks;
}

function parsed(text: string, name: string): PlannedStack['template'] {
  const result = parseTemplateText(text, name);
  if (!result.ok)
    throw usageError(result.problem, 'give a CloudFormation template: JSON, or YAML with short-form tags');
  return result.template;
}
