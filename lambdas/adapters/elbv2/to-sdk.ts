import type {
  Action as SdkAction,
  RuleCondition as SdkRuleCondition,
  RuleTransform as SdkRuleTransform,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Action, Condition, RuleTransform } from '../../../lib/types.ts';
import { definedOnly } from './from-sdk.ts';

// lib → SDK: plan steps' actions and conditions in the form ELBv2 accepts.

/** Always writes `ForwardConfig` with explicit weights, the form that expresses every forward. */
export function toSdkAction(a: Action): SdkAction {
  const order = a.order === undefined ? {} : { Order: a.order };
  switch (a.type) {
    case 'forward':
      return {
        Type: 'forward',
        ...order,
        ForwardConfig: {
          TargetGroups: a.targetGroups.map((tg) => ({
            TargetGroupArn: tg.targetGroupArn,
            Weight: tg.weight,
          })),
          ...(a.stickiness
            ? {
                TargetGroupStickinessConfig: {
                  Enabled: a.stickiness.enabled,
                  ...(a.stickiness.durationSeconds === undefined
                    ? {}
                    : { DurationSeconds: a.stickiness.durationSeconds }),
                },
              }
            : {}),
        },
      };
    case 'fixed-response':
      return {
        Type: 'fixed-response',
        ...order,
        FixedResponseConfig: {
          StatusCode: a.statusCode,
          ...definedOnly({ ContentType: a.contentType, MessageBody: a.messageBody }),
        },
      };
    case 'redirect':
      return {
        Type: 'redirect',
        ...order,
        RedirectConfig: {
          StatusCode: a.statusCode,
          ...definedOnly({ Protocol: a.protocol, Host: a.host, Port: a.port, Path: a.path, Query: a.query }),
        },
      };
    case 'authenticate-oidc':
      return {
        Type: 'authenticate-oidc',
        ...order,
        // The snapshot never holds the secret, so ALB must keep the one it has.
        AuthenticateOidcConfig: {
          ...a.config,
          UseExistingClientSecret: true,
        } as SdkAction['AuthenticateOidcConfig'],
      };
    case 'authenticate-cognito':
      return {
        Type: 'authenticate-cognito',
        ...order,
        AuthenticateCognitoConfig: { ...a.config } as unknown as SdkAction['AuthenticateCognitoConfig'],
      };
    case 'jwt-validation':
      return {
        Type: 'jwt-validation',
        ...order,
        JwtValidationConfig: { ...a.config } as unknown as SdkAction['JwtValidationConfig'],
      };
  }
}

/** A rule transform in the shape CreateRule and ModifyRule take. */
export function toSdkTransform(t: RuleTransform): SdkRuleTransform {
  const config = { Rewrites: t.rewrites.map((w) => ({ Regex: w.regex, Replace: w.replace })) };
  return t.type === 'url-rewrite'
    ? { Type: t.type, UrlRewriteConfig: config }
    : { Type: t.type, HostHeaderRewriteConfig: config };
}

/** Always writes the `*Config` form, the only one that expresses headers, methods, queries and IPs. */
export function toSdkCondition(c: Condition): SdkRuleCondition {
  const values = [...c.values];
  // Values are left out of a regex-only condition, the shape ALB returns for one.
  const matching = {
    ...(values.length > 0 || c.regexValues === undefined ? { Values: values } : {}),
    ...(c.regexValues === undefined ? {} : { RegexValues: [...c.regexValues] }),
  };
  switch (c.field) {
    case 'host-header':
      return { Field: c.field, HostHeaderConfig: matching };
    case 'path-pattern':
      return { Field: c.field, PathPatternConfig: matching };
    case 'http-header':
      return { Field: c.field, HttpHeaderConfig: { HttpHeaderName: c.headerName ?? '', ...matching } };
    case 'http-request-method':
      return { Field: c.field, HttpRequestMethodConfig: { Values: values } };
    case 'query-string':
      return {
        Field: c.field,
        QueryStringConfig: {
          Values: values.map((v) => {
            const eq = v.indexOf('=');
            if (eq < 0) return { Value: v };
            const key = v.slice(0, eq);
            return key === '' ? { Value: v.slice(eq + 1) } : { Key: key, Value: v.slice(eq + 1) };
          }),
        },
      };
    case 'source-ip':
      return { Field: c.field, SourceIpConfig: { Values: values } };
  }
}
