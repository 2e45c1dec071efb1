import { parseXML } from '@aws-sdk/xml-builder';
import * as z from 'zod/mini';
import { LbGuardError } from '../../lib/errors.ts';
import { type BorrowedClientConfig, SignedRequests } from './signed-request.ts';

// The six read calls the owner lookup makes (deployment-owners.ts), signed by hand rather than
// through the CloudFormation and CodeDeploy SDK clients (README "Deployments in flight"): CodeDeploy
// speaks JSON 1.1, CloudFormation the Query protocol (form-encoded in, XML out, parsed with the XML
// parser ELBv2's client already bundles). Each answer is validated for the fields lbguard reads.

/** A 200 answer without the fields lbguard reads: never taken for "no owner". */
export class MalformedAnswerError extends LbGuardError {
  constructor(operation: string, issue: string) {
    super(
      `AWS ${operation} answered in an unexpected shape (${issue}); lbguard cannot tell who owns the routing`,
    );
    this.name = 'MalformedAnswerError';
  }
}

function validated<S extends z.ZodMiniType>(operation: string, schema: S, read: () => unknown): z.output<S> {
  let value: unknown;
  try {
    value = read();
  } catch (error) {
    throw new MalformedAnswerError(operation, error instanceof Error ? error.message : String(error));
  }
  const parsed = z.safeParse(schema, value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new MalformedAnswerError(operation, `${issue?.path.join('.') || 'answer'}: ${issue?.message}`);
}

const strings = z.optional(z.array(z.string()));
const page = { nextToken: z.optional(z.string()) };
const names = z.optional(z.array(z.object({ name: z.optional(z.string()) })));
const route = z.optional(z.object({ listenerArns: strings }));

const CODEDEPLOY = {
  ListApplications: z.object({ applications: strings, ...page }),
  ListDeploymentGroups: z.object({ deploymentGroups: strings, ...page }),
  GetDeploymentGroup: z.object({
    deploymentGroupInfo: z.object({
      loadBalancerInfo: z.optional(
        z.object({
          targetGroupInfoList: names,
          targetGroupPairInfoList: z.optional(
            z.array(z.object({ targetGroups: names, prodTrafficRoute: route, testTrafficRoute: route })),
          ),
        }),
      ),
    }),
  }),
  ListDeployments: z.object({ deployments: strings, ...page }),
};

type CodeDeployOperation = keyof typeof CODEDEPLOY;
export type CodeDeployAnswer<O extends CodeDeployOperation> = z.output<(typeof CODEDEPLOY)[O]>;
export type LoadBalancerInfo =
  CodeDeployAnswer<'GetDeploymentGroup'>['deploymentGroupInfo']['loadBalancerInfo'];

/** CodeDeploy's JSON 1.1 API: `POST /` with the operation in `X-Amz-Target`. */
export class CodeDeployApi {
  readonly #api: SignedRequests;

  constructor(config: BorrowedClientConfig) {
    this.#api = new SignedRequests(config, 'codedeploy');
  }

  async call<O extends CodeDeployOperation>(operation: O, input: object): Promise<CodeDeployAnswer<O>> {
    const { text } = await this.#api.send({
      operation,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `CodeDeploy_20141006.${operation}`,
      },
      body: JSON.stringify(input),
    });
    return validated(operation, CODEDEPLOY[operation], () => JSON.parse(text)) as CodeDeployAnswer<O>;
  }
}

/** A Query protocol list (`<Stacks><member>…</member></Stacks>`): empty, one member or several. */
const members = <T extends z.ZodMiniType>(item: T) =>
  z.pipe(
    z.transform((node: unknown) => {
      if (node === '') return [];
      const member = (node as { member?: unknown } | undefined)?.member;
      return member === undefined || Array.isArray(member) ? member : [member];
    }),
    z.array(item),
  );

const CLOUDFORMATION = {
  DescribeStackResources: z.object({
    DescribeStackResourcesResponse: z.object({
      DescribeStackResourcesResult: z.object({
        StackResources: members(
          z.object({ StackName: z.string(), PhysicalResourceId: z.optional(z.string()) }),
        ),
      }),
    }),
  }),
  DescribeStacks: z.object({
    DescribeStacksResponse: z.object({
      DescribeStacksResult: z.object({
        Stacks: members(z.object({ StackName: z.string(), StackStatus: z.string() })),
      }),
    }),
  }),
};

/** CloudFormation's Query API: `POST /` form-encoded, XML answers. */
export class CloudFormationApi {
  readonly #api: SignedRequests;

  constructor(config: BorrowedClientConfig) {
    this.#api = new SignedRequests(config, 'cloudformation');
  }

  /** The stack resources of the stack holding a physical resource, or of a named stack. */
  async describeStackResources(
    by: { readonly PhysicalResourceId: string } | { readonly StackName: string },
  ): Promise<readonly { readonly StackName: string; readonly PhysicalResourceId?: string | undefined }[]> {
    const out = await this.#call('DescribeStackResources', by);
    return out.DescribeStackResourcesResponse.DescribeStackResourcesResult.StackResources;
  }

  /** A stack's name and status; a stack that does not exist fails (`ValidationError`). */
  async describeStack(
    stackName: string,
  ): Promise<{ readonly StackName: string; readonly StackStatus: string }> {
    const out = await this.#call('DescribeStacks', { StackName: stackName });
    const [stack] = out.DescribeStacksResponse.DescribeStacksResult.Stacks;
    if (stack === undefined)
      throw new MalformedAnswerError('DescribeStacks', `Stacks: no stack ${stackName}`);
    return stack;
  }

  async #call<A extends keyof typeof CLOUDFORMATION>(
    action: A,
    params: Readonly<Record<string, string>>,
  ): Promise<z.output<(typeof CLOUDFORMATION)[A]>> {
    const { text } = await this.#api.send({
      operation: action,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Action: action, Version: '2010-05-15', ...params }).toString(),
    });
    return validated(action, CLOUDFORMATION[action], () => parseXML(text)) as z.output<
      (typeof CLOUDFORMATION)[A]
    >;
  }
}
