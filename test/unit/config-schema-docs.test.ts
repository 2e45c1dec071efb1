import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { configSchema, LIMITS } from '../../lib/config/index.ts';
import { DESCRIPTIONS, renderConfigJsonSchema } from '../../lib/config/schema-docs.ts';

type Json = Record<string, unknown>;
const isJson = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every `description` in a JSON Schema, by field path in the notation of schema-docs.ts. */
function descriptionsIn(schema: Json, path = ''): Record<string, string> {
  const found: Record<string, string> = {};
  if (path !== '' && typeof schema.description === 'string') found[path] = schema.description;
  const visit = (child: unknown, at: string) => {
    if (isJson(child)) Object.assign(found, descriptionsIn(child, at));
  };
  if (isJson(schema.properties)) {
    for (const [key, child] of Object.entries(schema.properties))
      visit(child, path === '' ? key : `${path}.${key}`);
  }
  visit(schema.items, `${path}[]`);
  visit(schema.additionalProperties, `${path}.*`);
  if (Array.isArray(schema.anyOf)) for (const branch of schema.anyOf) visit(branch, path);
  return found;
}

/** The schema at a field path: properties by name, `[]` for items, `*` for a mapping's values. */
function at(schema: Json, ...steps: readonly string[]): Json {
  return steps.reduce<Json>((node, step) => {
    const next =
      step === '[]' ? node.items : step === '*' ? node.additionalProperties : (node.properties as Json)[step];
    if (!isJson(next)) throw new Error(`no ${step} under ${JSON.stringify(node).slice(0, 80)}`);
    return next;
  }, schema);
}

const generated = JSON.parse(renderConfigJsonSchema()) as Json;
const committed = JSON.parse(readFileSync('schema/lbguard.config.schema.json', 'utf8')) as Json;

describe("the config's JSON Schema documentation (lib/config/schema-docs.ts)", () => {
  it('lands every description of the table on the field it names, and no other description', () => {
    expect(Object.keys(DESCRIPTIONS).length).toBeGreaterThan(60);
    expect(descriptionsIn(generated)).toEqual(DESCRIPTIONS);
  });

  it('keeps every description the committed schema file carries', () => {
    expect(descriptionsIn(committed)).toEqual(DESCRIPTIONS);
  });

  it.each([
    'services[].probes[].timeout',
    'services[].probes[].body.secrets',
    'schedule[].probeLoopSeconds',
    'services[].thresholds.*.errorRate',
  ])('refuses a description for %s, a field the schema does not have', (path) => {
    expect(() => renderConfigJsonSchema({ ...DESCRIPTIONS, [path]: 'stale' })).toThrow(
      `DESCRIPTIONS names ${path}, which the config schema does not have`,
    );
  });

  it('places a description as .meta() did: after a default, first on an optional field, last on a required one', () => {
    const probe = at(generated, 'services', '[]', 'probes', '[]');
    expect(Object.keys(at(probe, 'timeoutMs'))).toEqual([
      'default',
      'description',
      'type',
      'minimum',
      'maximum',
    ]);
    expect(Object.keys(at(probe, 'url'))).toEqual(['description', 'type', 'maxLength', 'format']);
    expect(Object.keys(at(probe, 'name'))).toEqual(['type', 'pattern', 'description']);
  });

  it('tells editors the formats and bounds that validation checks', () => {
    const service = at(generated, 'services', '[]');
    const step = at(service, 'probes', '[]', 'steps', '[]');
    expect(at(step, 'url').format).toBe('uri');
    expect(at(service, 'notifications', 'httpsEndpoints', '[]')).toMatchObject({
      format: 'uri',
      pattern: '^https://',
    });
    expect(
      new RegExp(String(at(service, 'loadBalancerArn').pattern)).test(
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188',
      ),
    ).toBe(true);
    expect(at(step, 'headers').maxProperties).toBe(LIMITS.requestHeaders);
    expect(at(step, 'expect', 'headers').maxProperties).toBe(LIMITS.expectedHeaders);
  });

  it('leaves the schema the functions parse with bare: no description, format or bound of its own', () => {
    const bare = JSON.stringify(z.toJSONSchema(configSchema, { io: 'input' }));
    expect(bare).not.toMatch(/"description"|"maxProperties"|"format":"uri"/);
  });
});
