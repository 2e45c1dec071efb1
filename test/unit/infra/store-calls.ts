// Which DynamoDB actions each function's code can call, read from the source, so the per-function
// table grants (infra/permissions.ts TABLE_ACTIONS) fail a test the day a flow starts calling a
// store method its role may not use, instead of failing in production with AccessDenied.
// Only the state store's methods are read: the enrolment registry's reads and writes and the hub
// table have adapters of their own, whose grants the IAM proof checks by running them under each
// role (docs/iam-proof.md, parts 2 and 3).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
const LAMBDAS = path.join(REPO, 'lambdas');
const STORE = path.join(LAMBDAS, 'adapters', 'state-store', 'dynamodb-state-store.ts');
/** Approve mode's planned snapshots: a store of its own that only remediate wires (`deps.planned.`). */
const PLANNED = path.join(LAMBDAS, 'adapters', 'state-store', 'planned-snapshots.ts');

/**
 * What each DynamoDB command the store sends is authorised as. The store sends the client's own
 * commands (not the document client's `GetCommand`…, which it no longer uses: one of those is
 * unmapped here and fails the check loudly).
 */
const COMMAND_ACTIONS: Record<string, readonly string[]> = {
  GetItemCommand: ['dynamodb:GetItem'],
  PutItemCommand: ['dynamodb:PutItem'],
  UpdateItemCommand: ['dynamodb:UpdateItem'],
  DeleteItemCommand: ['dynamodb:DeleteItem'],
  QueryCommand: ['dynamodb:Query'],
  ScanCommand: ['dynamodb:Scan'],
  BatchGetItemCommand: ['dynamodb:BatchGetItem'],
  BatchWriteItemCommand: ['dynamodb:BatchWriteItem'],
  TransactGetItemsCommand: ['dynamodb:GetItem'],
  // TransactWriteItemsCommand is authorised as its parts; see TRANSACT_PARTS.
  TransactWriteItemsCommand: [],
};
const TRANSACT_PARTS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};
/** Powertools Idempotency's DynamoDB persistence layer: Get, Put, Update and DeleteItem. */
const APPLY_ONCE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

/** Each method of the DynamoDB state store (public and `#private`) and its body. */
function storeMethods(file = STORE): Map<string, string> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const methods = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines) {
    const start = /^ {2}(?:async )?(#?[A-Za-z]\w*)\(/.exec(line);
    if (start?.[1] !== undefined && start[1] !== 'constructor') {
      current = start[1];
      methods.set(current, '');
    } else if (/^\}/.test(line)) {
      current = undefined;
    } else if (current !== undefined) {
      methods.set(current, `${methods.get(current) ?? ''}${line}\n`);
    }
  }
  return methods;
}

/** The actions one store method makes, following its calls to other methods of the store. */
function methodActions(methods: Map<string, string>, name: string, seen = new Set<string>()): Set<string> {
  const actions = new Set<string>();
  const body = methods.get(name);
  if (body === undefined || seen.has(name)) return actions;
  seen.add(name);
  for (const [, command] of body.matchAll(/new (\w+Command)\(/g)) {
    const mapped = command === undefined ? undefined : COMMAND_ACTIONS[command];
    if (mapped === undefined)
      throw new Error(`store method ${name} sends ${command}, which this check does not map`);
    for (const a of mapped) actions.add(a);
    if (command === 'TransactWriteItemsCommand') {
      for (const [part, action] of Object.entries(TRANSACT_PARTS)) {
        if (new RegExp(`\\b${part}:`).test(body)) actions.add(action);
      }
    }
  }
  for (const [, callee] of body.matchAll(/this\.(#?\w+)\(/g)) {
    if (callee !== undefined) for (const a of methodActions(methods, callee, seen)) actions.add(a);
  }
  return actions;
}

/** Source files under lambdas/ reachable by relative imports from `entry`. */
function reachableFiles(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop();
    if (file === undefined || seen.has(file)) continue;
    seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      if (spec === undefined) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (target.startsWith(LAMBDAS) && existsSync(target)) pending.push(target);
    }
  }
  return [...seen];
}

/**
 * The DynamoDB actions the Lambda function `fn` (probe, inspect, remediate or approve) can make: the
 * state-store methods its handler's code calls (`store.<method>(`), mapped through the store's
 * commands, plus Powertools Idempotency's when the apply-once record is wired in.
 */
export function tableActionsUsedBy(fn: 'probe' | 'inspect' | 'remediate' | 'approve'): string[] {
  const methods = storeMethods();
  const planned = storeMethods(PLANNED);
  const actions = new Set<string>();
  for (const file of reachableFiles(path.join(LAMBDAS, fn, 'handler.ts'))) {
    const text = readFileSync(file, 'utf8');
    for (const [, method] of text.matchAll(/\bstore\.(\w+)\(/g)) {
      if (method === undefined) continue;
      if (!methods.has(method))
        throw new Error(`${file} calls store.${method}, which the DynamoDB store lacks`);
      for (const a of methodActions(methods, method)) actions.add(a);
    }
    for (const [, method] of text.matchAll(/\bdeps\.planned\.(\w+)\(/g)) {
      if (method === undefined) continue;
      if (!planned.has(method)) throw new Error(`${file} calls planned.${method}, which the store lacks`);
      for (const a of methodActions(planned, method)) actions.add(a);
    }
    if (/createPowertoolsApplyOnce\(/.test(text) && !file.endsWith('apply-once.ts')) {
      for (const a of APPLY_ONCE_ACTIONS) actions.add(a);
    }
  }
  return [...actions].sort();
}
