import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createElbv2Client } from '../../lambdas/adapters/clients.ts';
import { AwsDeploymentOwners } from '../../lambdas/adapters/deployment-owners.ts';
import { CloudFormationApi, CodeDeployApi } from '../../lambdas/adapters/owner-apis.ts';

// A local HTTP server standing in for CodeDeploy (JSON 1.1) and CloudFormation (Query, XML),
// answering the adapters' signed requests with answers in the shape AWS sends (recorded from the
// API references' examples and moto). Each request is parsed back the way AWS reads it: the
// service from the SigV4 credential scope, the operation from `X-Amz-Target` or `Action=`.

/** One request as the service saw it. */
export interface SeenCall {
  readonly service: string;
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly authorization: string;
  /** `X-Amz-Target` and `Content-Type` as sent. */
  readonly target?: string;
  readonly contentType: string;
}

export interface Answer {
  readonly status?: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Answers a call, or undefined to fall through to the next rule (the last rule added wins). */
export type Rule = (call: SeenCall) => Answer | undefined;

export interface AwsStandIn {
  readonly url: string;
  readonly calls: SeenCall[];
  /** Answers `operation` (when `match` accepts the input) with `answer`. */
  on(
    operation: string,
    answer: Answer | ((call: SeenCall) => Answer),
    match?: (call: SeenCall) => boolean,
  ): void;
  /** Forgets rules and calls. */
  reset(): void;
  /** The owner lookup as remediate wires it, signed with the ELBv2 client's parts, sent here. */
  owners(maxAttempts?: number): AwsDeploymentOwners;
  callsOf(operation: string): SeenCall[];
  close(): Promise<void>;
}

export async function startAwsStandIn(): Promise<AwsStandIn> {
  let rules: Rule[] = [];
  const calls: SeenCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const authorization = String(req.headers.authorization ?? '');
      const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? 'unsigned';
      const target = req.headers['x-amz-target'];
      const contentType = String(req.headers['content-type'] ?? '');
      const seen = { service, authorization, contentType };
      const call: SeenCall =
        typeof target === 'string'
          ? { ...seen, target, operation: target.split('.').at(-1) ?? '', input: JSON.parse(text) }
          : (() => {
              const { Action = '', ...input } = Object.fromEntries(new URLSearchParams(text));
              return { ...seen, operation: Action, input };
            })();
      calls.push(call);
      const answer = [...rules]
        .reverse()
        .reduce<Answer | undefined>((found, rule) => found ?? rule(call), undefined);
      const chosen = answer ?? { status: 500, body: `stand-in: no answer for ${call.operation}` };
      res.writeHead(chosen.status ?? 200, chosen.headers ?? {});
      res.end(chosen.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    on(operation, answer, match = () => true) {
      rules.push((call) =>
        call.operation === operation && match(call)
          ? typeof answer === 'function'
            ? answer(call)
            : answer
          : undefined,
      );
    },
    reset() {
      rules = [];
      calls.length = 0;
    },
    owners(maxAttempts = 1) {
      const { config } = createElbv2Client({
        region: 'eu-west-1',
        endpoint: url,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        maxAttempts,
      });
      return new AwsDeploymentOwners(new CloudFormationApi(config), new CodeDeployApi(config));
    },
    callsOf(operation) {
      return calls.filter((c) => c.operation === operation);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A CodeDeploy (JSON 1.1) answer. */
export function codeDeployOk(body: object): Answer {
  return { body: JSON.stringify(body), headers: { 'content-type': 'application/x-amz-json-1.1' } };
}

/** A CodeDeploy (JSON 1.1) error, as AWS sends it: the type in the body and the header. */
export function codeDeployError(type: string, message: string, status = 400): Answer {
  return {
    status,
    body: JSON.stringify({ __type: `com.amazonaws.codedeploy#${type}`, message }),
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': `${type}:http://internal` },
  };
}

/** A CloudFormation Query answer: `<{Action}Response><{Action}Result>…`. */
export function cloudFormationOk(action: string, result: string): Answer {
  return {
    body: `<${action}Response xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <${action}Result>${result}</${action}Result>
  <ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>
</${action}Response>`,
    headers: { 'content-type': 'text/xml' },
  };
}

/** A CloudFormation Query error (`<ErrorResponse><Error><Code>`). */
export function cloudFormationError(code: string, message: string, status = 400): Answer {
  return {
    status,
    body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error>
  <RequestId>5ccc7dcd-744c-11e5-be70-example</RequestId>
</ErrorResponse>`,
    headers: { 'content-type': 'text/xml' },
  };
}

/** DescribeStackResources' members for a stack holding `physicalIds`. */
export function stackResources(stackName: string, physicalIds: readonly string[]): Answer {
  const members = physicalIds
    .map(
      (id, i) => `<member>
        <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/${stackName}/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee</StackId>
        <StackName>${stackName}</StackName>
        <LogicalResourceId>Resource${i}</LogicalResourceId>
        <PhysicalResourceId>${id}</PhysicalResourceId>
        <ResourceType>AWS::ElasticLoadBalancingV2::Listener</ResourceType>
        <Timestamp>2026-12-04T10:00:00Z</Timestamp>
        <ResourceStatus>UPDATE_IN_PROGRESS</ResourceStatus>
      </member>`,
    )
    .join('');
  return cloudFormationOk('DescribeStackResources', `<StackResources>${members}</StackResources>`);
}

/** DescribeStacks with one stack in `status` (with parameters and tags, whose `member`s nest). */
export function stackStatus(stackName: string, status: string): Answer {
  return cloudFormationOk(
    'DescribeStacks',
    `<Stacks><member>
      <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/${stackName}/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee</StackId>
      <StackName>${stackName}</StackName>
      <Parameters><member><ParameterKey>Env</ParameterKey><ParameterValue>prod</ParameterValue></member></Parameters>
      <Tags><member><Key>team</Key><Value>web</Value></member><member><Key>cost</Key><Value>1</Value></member></Tags>
      <CreationTime>2026-12-01T10:00:00Z</CreationTime>
      <StackStatus>${status}</StackStatus>
    </member></Stacks>`,
  );
}

/** No stack holds the resource, as AWS says it. */
export function notInAStack(): Answer {
  return cloudFormationError('ValidationError', 'Stack for arn:aws:elasticloadbalancing:… does not exist');
}
