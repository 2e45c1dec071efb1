/**
 * A CloudFormation template from its text: JSON, or YAML with the short-form intrinsic tags
 * (`!Ref`, `!GetAtt A.B`, `!Sub`, `!Join [...]`…) read as their long form, as CloudFormation does.
 */
import { parse } from 'yaml';
import type { CfnTemplate } from './resolve.ts';

const SHORT_FORMS = [
  'Ref',
  'Condition',
  'GetAtt',
  'Sub',
  'Join',
  'Select',
  'Split',
  'ImportValue',
  'FindInMap',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Base64',
  'Cidr',
  'GetAZs',
  'Transform',
] as const;

function longForm(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

const TAGS = SHORT_FORMS.flatMap((name) => [
  {
    tag: `!${name}`,
    resolve: (value: string) => ({ [longForm(name)]: name === 'GetAtt' ? value.split('.') : value }),
  },
  {
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (value: { toJSON(): unknown }) => ({ [longForm(name)]: value.toJSON() }),
  },
  {
    tag: `!${name}`,
    collection: 'map' as const,
    resolve: (value: { toJSON(): unknown }) => ({ [longForm(name)]: value.toJSON() }),
  },
]);

export type ParsedTemplate =
  | { readonly ok: true; readonly template: CfnTemplate }
  | { readonly ok: false; readonly problem: string };

/** Parses a template file's text; `name` is how a problem names the file. */
export function parseTemplateText(text: string, name: string): ParsedTemplate {
  let value: unknown;
  try {
    value = text.trimStart().startsWith('{') ? JSON.parse(text) : parse(text, { customTags: TAGS });
  } catch (error) {
    return {
      ok: false,
      problem: `${name} is neither JSON nor YAML: ${(error as Error).message.split('\n')[0]}`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: `${name} is not a CloudFormation template (no top-level mapping)` };
  }
  const resources = (value as { Resources?: unknown }).Resources;
  if (typeof resources !== 'object' || resources === null) {
    return { ok: false, problem: `${name} is not a CloudFormation template (no Resources section)` };
  }
  return { ok: true, template: value as CfnTemplate };
}
