/**
 * CloudFormation values as the predictive gate reads them: a template's intrinsic functions
 * evaluated against what is known before the deploy (parameters, the stack's physical ids,
 * exports, pseudo parameters). What cannot be known before the deploy is never guessed: the
 * resolver throws `Unresolvable`, which the gate turns into "cannot predict", never a pass.
 */

/** A resource of a template, as CloudFormation writes it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Condition?: string;
}

/** The parts of a template the gate reads. */
export interface CfnTemplate {
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
  readonly Mappings?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
  readonly Resources?: Readonly<Record<string, CfnResource>>;
}

/** A resource a stack has now: its logical and physical id. */
export interface StackResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
}

/** What is known before the deploy, to evaluate a template's references with. */
export interface PlanContext {
  /** Parameter values given to the deploy (a change set's); a template default fills the rest. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The resources the stack already has (ListStackResources); absent for a stack not known. */
  readonly stackResources?: readonly StackResource[];
  /** Export name → value (ListExports), for `Fn::ImportValue`. */
  readonly exports?: ReadonlyMap<string, string>;
  readonly region?: string;
  readonly accountId?: string;
  readonly stackName?: string;
}

/** A value the gate needs but cannot know before the deploy. */
export class Unresolvable extends Error {
  constructor(
    readonly where: string,
    readonly why: string,
  ) {
    super(`cannot predict: ${where} ${why}`);
    this.name = 'Unresolvable';
  }
}

/** The id a resource the deploy creates is known by in the prediction: it has no physical id yet. */
export function plannedId(type: string, logicalId: string, name?: string): string {
  const kind = type.split('::').at(-1)?.toLowerCase() ?? 'resource';
  return `planned:${kind}/${name ?? logicalId}/${logicalId}`;
}

/** Whether an id is one `plannedId` made. */
export function isPlanned(id: string): boolean {
  return id.startsWith('planned:');
}

const PSEUDO = new Set([
  'AWS::Region',
  'AWS::AccountId',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

/** Evaluates intrinsic functions of one template against a context. */
export class Resolver {
  /**
   * `ids`: logical id → physical id of resources that exist (the stack's, and those the gate
   * matched to live resources); it may grow while the template is read.
   */
  constructor(
    private readonly template: CfnTemplate,
    private readonly context: PlanContext,
    private readonly ids: ReadonlyMap<string, string>,
  ) {}

  /** The value with every intrinsic evaluated; `where` names it in an Unresolvable. */
  value(value: unknown, where: string): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.value(v, `${where}[${i}]`));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first !== undefined && isIntrinsic(first[0])) {
      return this.intrinsic(first[0], first[1], where);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.value(v, `${where}.${k}`)]));
  }

  /** The value itself resolved when it is an intrinsic; its members are left for the caller to read. */
  node(value: unknown, where: string): unknown {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    return keys.length === 1 && isIntrinsic(keys[0] ?? '') ? this.value(value, where) : value;
  }

  /** The value as a string (numbers as CloudFormation writes them), else Unresolvable. */
  string(value: unknown, where: string): string {
    const v = this.value(value, where);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new Unresolvable(where, 'is not a string');
  }

  /** The value as a number, or undefined when absent. */
  number(value: unknown, where: string): number | undefined {
    if (value === undefined) return undefined;
    const v = this.value(value, where);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    if (!Number.isFinite(n)) throw new Unresolvable(where, `is not a number (${JSON.stringify(v)})`);
    return n;
  }

  /** The identity `Ref` gives a resource: its physical id when the stack has it, else a planned id. */
  resourceId(logicalId: string, where: string): string {
    const physical = this.ids.get(logicalId);
    if (physical !== undefined) return physical;
    const resource = this.template.Resources?.[logicalId];
    if (resource === undefined)
      throw new Unresolvable(where, `refers to ${logicalId}, which the template does not declare`);
    const name = resource.Properties?.Name;
    return plannedId(resource.Type, logicalId, typeof name === 'string' ? name : undefined);
  }

  private intrinsic(name: string, arg: unknown, where: string): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(this.string(arg, where), where);
      case 'Fn::GetAtt':
        return this.getAtt(arg, where);
      case 'Fn::ImportValue': {
        const exportName = this.string(arg, where);
        const value = this.context.exports?.get(exportName);
        if (value === undefined)
          throw new Unresolvable(where, `uses Fn::ImportValue of ${exportName}, which is not exported`);
        return value;
      }
      case 'Fn::Join': {
        const [delimiter, list] = this.pair(arg, 'Fn::Join', where);
        const items = this.value(list, where);
        if (!Array.isArray(items)) throw new Unresolvable(where, 'uses Fn::Join over something not a list');
        return items.map((item) => this.string(item, where)).join(this.string(delimiter, where));
      }
      case 'Fn::Select': {
        const [index, list] = this.pair(arg, 'Fn::Select', where);
        const items = this.value(list, where);
        const i = this.number(index, where) ?? 0;
        if (!Array.isArray(items) || items[i] === undefined)
          throw new Unresolvable(where, 'uses Fn::Select out of range');
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = this.pair(arg, 'Fn::Split', where);
        return this.string(source, where).split(this.string(delimiter, where));
      }
      case 'Fn::Sub':
        return this.sub(arg, where);
      case 'Fn::FindInMap': {
        const [map, top, second] = Array.isArray(arg) ? arg : [];
        const found =
          this.template.Mappings?.[this.string(map, where)]?.[this.string(top, where)]?.[
            this.string(second, where)
          ];
        if (found === undefined) throw new Unresolvable(where, 'uses Fn::FindInMap of a missing key');
        return found;
      }
      default:
        // Fn::If, Fn::GetAZs, Fn::Cidr, Fn::Base64, Fn::Transform…: not known before the deploy here.
        throw new Unresolvable(where, `uses ${name}`);
    }
  }

  private pair(arg: unknown, name: string, where: string): [unknown, unknown] {
    if (!Array.isArray(arg) || arg.length < 2)
      throw new Unresolvable(where, `uses ${name} with malformed arguments`);
    return [arg[0], arg[1]];
  }

  private ref(name: string, where: string): unknown {
    if (PSEUDO.has(name)) return this.pseudo(name, where);
    if (this.template.Parameters?.[name] !== undefined) {
      const given = this.context.parameters?.[name] ?? this.template.Parameters[name]?.Default;
      if (given === undefined)
        throw new Unresolvable(where, `uses Ref of parameter ${name}, which has no value`);
      return given;
    }
    return this.resourceId(name, where);
  }

  private pseudo(name: string, where: string): string {
    const value =
      name === 'AWS::Region'
        ? this.context.region
        : name === 'AWS::AccountId'
          ? this.context.accountId
          : name === 'AWS::StackName'
            ? this.context.stackName
            : name === 'AWS::URLSuffix'
              ? 'amazonaws.com'
              : 'aws';
    if (value === undefined) throw new Unresolvable(where, `uses Ref of ${name}, which is not known`);
    return value;
  }

  private getAtt(arg: unknown, where: string): unknown {
    const parts = typeof arg === 'string' ? arg.split('.') : Array.isArray(arg) ? arg : [];
    const [logicalId, attribute] = parts.map((p) => this.string(p, where));
    if (logicalId === undefined || attribute === undefined)
      throw new Unresolvable(where, 'uses a malformed Fn::GetAtt');
    const resource = this.template.Resources?.[logicalId];
    // The ARN attributes of ELBv2 resources are what Ref gives; a name is in the template.
    if (/^(TargetGroupArn|ListenerArn|RuleArn|LoadBalancerArn)$/.test(attribute)) {
      return this.resourceId(logicalId, where);
    }
    if (attribute === 'TargetGroupName' && typeof resource?.Properties?.Name === 'string') {
      return resource.Properties.Name;
    }
    throw new Unresolvable(where, `uses Fn::GetAtt ${logicalId}.${attribute}, known only after the deploy`);
  }

  private sub(arg: unknown, where: string): string {
    const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
    if (typeof text !== 'string') throw new Unresolvable(where, 'uses Fn::Sub with malformed arguments');
    const given = (typeof vars === 'object' && vars !== null ? vars : {}) as Record<string, unknown>;
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_, bang: string, name: string) => {
      if (bang === '!') return `\${${name}}`;
      if (name in given) return this.string(given[name], where);
      if (name.includes('.') && !PSEUDO.has(name)) {
        return this.string({ 'Fn::GetAtt': name.split('.') }, where);
      }
      return this.string({ Ref: name }, where);
    });
  }
}

function isIntrinsic(key: string): boolean {
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::');
}
