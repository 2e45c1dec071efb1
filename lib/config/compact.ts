import { DEFAULTS } from './defaults.ts';
import type { LbGuardConfig } from './schema.ts';

/**
 * The config as the construct writes it into the functions' environment: sections left at their
 * defaults are dropped, since every function parses the text with the same schema and gets them
 * back. Lambda allows 4 KB of environment per function, and a default section written once per
 * service is what fills it as services are added. Pure; `validateConfig` of the result equals
 * `config` (test/unit/config-compact.test.ts).
 */
export function compactConfig(config: LbGuardConfig): unknown {
  return {
    ...config,
    services: config.services.map((service) => {
      const { approval, ...remediation } = service.remediation;
      return sameJson(approval, DEFAULTS.remediation.approval) ? { ...service, remediation } : service;
    }),
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
