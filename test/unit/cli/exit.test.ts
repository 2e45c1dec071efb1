import { describe, expect, it } from 'vitest';
import { type CliError, classifyError, EXIT, usageError } from '../../../cli/exit.ts';
import { AwsApiError, ConfigError } from '../../../lib/errors.ts';

function sdkError(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return Object.assign(e, { $metadata: { httpStatusCode: 400 } });
}

describe('classifyError', () => {
  it('passes CLI errors through unchanged', () => {
    const error = usageError('bad', 'do this');
    expect(classifyError(error)).toBe(error);
    expect(error.exitCode).toBe(EXIT.usage);
  });

  it('makes an invalid config exit 2 with its path-named issues', () => {
    const c = classifyError(
      new ConfigError('lbguard.config.yaml', [{ path: 'services', message: 'is required' }]),
    );
    expect(c).toMatchObject({
      kind: 'config',
      exitCode: 2,
      message: 'lbguard.config.yaml: services: is required',
    });
  });

  it.each(['CredentialsProviderError', 'UnrecognizedClientException', 'ExpiredTokenException'])(
    'explains a %s as missing or rejected credentials (exit 3)',
    (name) => {
      const c = classifyError(new AwsApiError('DescribeListeners', { cause: sdkError(name) }));
      expect(c.exitCode).toBe(EXIT.aws);
      expect(c.message).toContain('AWS credentials');
      expect(c.hints.join(' ')).toContain('--profile');
    },
  );

  it('asks for a region when the SDK has none (exit 2)', () => {
    const c = classifyError(new Error('Region is missing'));
    expect(c).toMatchObject({ kind: 'usage', exitCode: 2 });
    expect(c.hints[0]).toContain('--region');
  });

  it('points at the endpoint when AWS cannot be reached (exit 3)', () => {
    const refused = new AwsApiError('DescribeTable', {
      cause: new Error('connect ECONNREFUSED 127.0.0.1:5000'),
    });
    const c = classifyError(refused);
    expect(c.exitCode).toBe(3);
    expect(c.hints[0]).toContain('--endpoint-url');
  });

  it('reports other AWS API errors with the operation that failed (exit 3)', () => {
    const c = classifyError(
      new AwsApiError('ModifyListener', { cause: sdkError('AccessDenied', 'not allowed') }),
    );
    expect(c).toMatchObject({ kind: 'aws', exitCode: 3 });
    expect(c.message).toBe('AWS ModifyListener failed: AccessDenied: not allowed');
  });

  it('reports a raw SDK error as an AWS error', () => {
    expect(classifyError(sdkError('LoadBalancerNotFoundException', 'no such LB')).message).toBe('no such LB');
  });

  it('labels anything else unexpected and suggests --debug', () => {
    const c = classifyError(new TypeError('x is undefined'));
    expect(c.message).toBe('unexpected error: x is undefined');
    expect(c.hints[0]).toContain('--debug');
    expect(classifyError('a string').message).toBe('unexpected error: a string');
  });

  it('keeps the original error as the cause for --debug', () => {
    const original = new TypeError('boom');
    expect((classifyError(original) as CliError).cause).toBe(original);
  });
});
