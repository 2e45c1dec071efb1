/**
 * Whether the template read back for a change set is the one the change set deploys. A change
 * set's template is read with `GetTemplate` and `ChangeSetName`; an endpoint that ignores the
 * change set name answers the stack's current template instead (moto 5.2.1 does), and judging
 * that would pass a deploy nobody looked at. The change set's own list of changes gives it away.
 */
import { ROUTING_TYPES } from './apply.ts';
import type { CfnTemplate } from './resolve.ts';

/** One resource change of a change set, as DescribeChangeSet lists it. */
export interface ChangeSetChange {
  readonly action: string;
  readonly logicalId: string;
  readonly type: string;
}

/**
 * Problems that show `template` is not what the change set deploys: a routing resource it adds
 * or modifies that the template lacks, one it removes that the template still has, or routing
 * changes while the template is the stack's current one. Empty when consistent.
 */
export function checkChangeSetTemplate(
  template: CfnTemplate,
  changes: readonly ChangeSetChange[],
  currentTemplateText: string | undefined,
  templateText: string,
): string[] {
  const declared = new Set(Object.keys(template.Resources ?? {}));
  const routing = changes.filter((c) => ROUTING_TYPES.has(c.type));
  const problems = routing.flatMap((c) => {
    if ((c.action === 'Add' || c.action === 'Modify') && !declared.has(c.logicalId))
      return [
        `the change set ${c.action === 'Add' ? 'adds' : 'modifies'} ${c.logicalId}, which the template read back does not declare`,
      ];
    if (c.action === 'Remove' && declared.has(c.logicalId))
      return [`the change set removes ${c.logicalId}, which the template read back still declares`];
    return [];
  });
  if (
    problems.length === 0 &&
    routing.length > 0 &&
    currentTemplateText !== undefined &&
    currentTemplateText === templateText
  )
    problems.push(
      'the change set changes routing resources, yet the template read back is the stack’s current one',
    );
  return problems;
}
