// References to secrets where a probe needs a credential (issue 14, finding 6): a header value or
// a body given as `{ secret: … }` (Secrets Manager) or `{ parameter: … }` (an SSM SecureString)
// instead of the value itself. The config, the template and every function's environment carry
// only the reference; probe resolves it at run time with a grant for exactly that secret.
import * as z from 'zod/mini';
import '../zod-english.ts';
import { describeReceived } from '../issues.ts';
import { strict } from './helpers.ts';

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const PARAMETER_NAME = /^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,14}$/;

const REFERENCE_FORMS =
  'must be { secret: <Secrets Manager secret name or ARN>, jsonKey?: <key> } or { parameter: <SSM SecureString name> }, one of them and nothing else';

export const secretReferenceSchema = z.union(
  [
    strict({
      secret: z.string().check(
        z.refine((s) => SECRET_ARN.test(s) || (SECRET_NAME.test(s) && !s.startsWith('arn:')), {
          message: 'must be a Secrets Manager secret name (shop/probe-token) or its ARN',
        }),
      ),
      jsonKey: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    }),
    strict({
      parameter: z
        .string()
        .check(
          z.maxLength(1011),
          z.regex(PARAMETER_NAME, 'must be an SSM parameter name like /shop/probe/api-key'),
        ),
    }),
  ],
  {
    error: REFERENCE_FORMS,
  },
);

/**
 * A value that may instead be a secret reference (a header value, a body). A mismatch says what
 * was expected of the form given: text for a scalar, a reference for a mapping.
 */
export function orSecretReference<T extends z.ZodMiniType<string>>(value: T) {
  return z.union([value, secretReferenceSchema], {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const input = issue.input;
      if (typeof input === 'object' && input !== null && !Array.isArray(input)) return REFERENCE_FORMS;
      return `must be text, not ${describeReceived(input)}; put it in quotes so YAML reads it as text (or, for a credential, give { secret: … } or { parameter: … })`;
    },
  });
}

/** Where a probe's credential lives; the value is read at run time, never stored. */
export type SecretReference = z.output<typeof secretReferenceSchema>;
