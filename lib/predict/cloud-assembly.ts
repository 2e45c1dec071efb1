/**
 * What a CDK cloud assembly (`cdk.out/manifest.json`) deploys: its stacks' template files and
 * stack names, and the nested assemblies of stages (CDK Pipelines puts each stage in one).
 */

export interface AssemblyStack {
  /** The artifact id, as `cdk deploy` names it. */
  readonly artifactId: string;
  /** The CloudFormation stack name (the artifact id unless `stackName` is set). */
  readonly stackName: string;
  /** Relative to the assembly's directory. */
  readonly templateFile: string;
  readonly account?: string;
  readonly region?: string;
}

export interface AssemblyContents {
  readonly stacks: readonly AssemblyStack[];
  /** Directories of nested assemblies, relative to this one. */
  readonly nested: readonly string[];
}

/** Reads a parsed `manifest.json`; an artifact of another type (assets, tree) is skipped. */
export function readAssemblyManifest(manifest: unknown): AssemblyContents {
  const artifacts = record(record(manifest).artifacts);
  const stacks: AssemblyStack[] = [];
  const nested: string[] = [];
  for (const [artifactId, raw] of Object.entries(artifacts)) {
    const artifact = record(raw);
    const props = record(artifact.properties);
    if (artifact.type === 'cdk:cloud-assembly' && typeof props.directoryName === 'string') {
      nested.push(props.directoryName);
      continue;
    }
    if (artifact.type !== 'aws:cloudformation:stack' || typeof props.templateFile !== 'string') continue;
    // `aws://123456789012/eu-west-1`; `unknown-account` / `unknown-region` for environment-agnostic stacks.
    const env = /^aws:\/\/([^/]+)\/([^/]+)$/.exec(
      typeof artifact.environment === 'string' ? artifact.environment : '',
    );
    const account = env?.[1]?.startsWith('unknown-') === false ? env[1] : undefined;
    const region = env?.[2]?.startsWith('unknown-') === false ? env[2] : undefined;
    stacks.push({
      artifactId,
      stackName: typeof props.stackName === 'string' ? props.stackName : artifactId,
      templateFile: props.templateFile,
      ...(account === undefined ? {} : { account }),
      ...(region === undefined ? {} : { region }),
    });
  }
  return { stacks, nested };
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
