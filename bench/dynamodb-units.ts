// DynamoDB on-demand request units of one call, estimated from its request and response bodies
// (DynamoDB JSON). Moto does not meter capacity, so the benchmark applies AWS's rules itself:
// a write unit per 1 KB of item written, a read unit per 4 KB read with strong consistency (half
// for eventual), twice both inside transactions, a unit at least per item or call.

/** A DynamoDB JSON attribute value as sent over the wire. */
export type WireValue = Readonly<Record<string, unknown>>;
export type WireItem = Readonly<Record<string, WireValue>>;

export interface RequestUnits {
  readonly read: number;
  readonly write: number;
}

const KB = 1024;

/**
 * Size of an attribute value as DynamoDB counts it: strings and binaries by their bytes, numbers
 * by about one byte per two significant digits plus one, maps and lists by their contents plus
 * three bytes, booleans and nulls one byte.
 */
export function attributeBytes(value: WireValue): number {
  const [type, v] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(v));
    case 'N':
      return numberBytes(String(v));
    case 'B':
      return Buffer.from(String(v), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (v as readonly string[]).reduce((a, s) => a + Buffer.byteLength(s), 0);
    case 'NS':
      return (v as readonly string[]).reduce((a, s) => a + numberBytes(s), 0);
    case 'BS':
      return (v as readonly string[]).reduce((a, s) => a + Buffer.from(s, 'base64').length, 0);
    case 'M':
      return 3 + itemBytes(v as WireItem);
    case 'L':
      return 3 + (v as readonly WireValue[]).reduce((a, x) => a + 1 + attributeBytes(x), 0);
    default:
      throw new Error(`unknown DynamoDB attribute type ${type}`);
  }
}

function numberBytes(n: string): number {
  const digits = n
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Size of an item: every attribute name's bytes plus its value's. */
export function itemBytes(item: WireItem): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += Buffer.byteLength(name) + attributeBytes(value);
  return total;
}

const writeUnits = (item: WireItem | undefined): number =>
  item === undefined ? 1 : Math.max(1, Math.ceil(itemBytes(item) / KB));

function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / (4 * KB)));
  return consistent ? units : units / 2;
}

interface Body {
  readonly Item?: WireItem;
  readonly Items?: readonly WireItem[];
  readonly ConsistentRead?: boolean;
  readonly RequestItems?: Readonly<
    Record<
      string,
      readonly { readonly PutRequest?: { readonly Item: WireItem }; readonly DeleteRequest?: unknown }[]
    >
  >;
  readonly TransactItems?: readonly {
    readonly Put?: { readonly Item: WireItem };
    readonly Update?: unknown;
    readonly Delete?: unknown;
    readonly ConditionCheck?: unknown;
  }[];
  readonly Responses?: readonly { readonly Item?: WireItem }[];
}

/**
 * Request units of one DynamoDB call. Deletes and updates are counted as one unit: the item's
 * size is not in the request, and lbguard's deletes and updates touch small markers and locks.
 * Control-plane calls (CreateTable, DescribeTable…) cost no request units.
 */
export function estimateRequestUnits(operation: string, request: Body, response: Body): RequestUnits {
  switch (operation) {
    case 'PutItem':
      return { read: 0, write: writeUnits(request.Item) };
    case 'UpdateItem':
    case 'DeleteItem':
      return { read: 0, write: 1 };
    case 'BatchWriteItem': {
      const requests = Object.values(request.RequestItems ?? {}).flat();
      return { read: 0, write: requests.reduce((a, r) => a + writeUnits(r.PutRequest?.Item), 0) };
    }
    case 'TransactWriteItems': {
      const items = request.TransactItems ?? [];
      return { read: 0, write: items.reduce((a, t) => a + 2 * writeUnits(t.Put?.Item), 0) };
    }
    case 'GetItem':
      return {
        read: readUnits(
          response.Item === undefined ? 0 : itemBytes(response.Item),
          request.ConsistentRead === true,
        ),
        write: 0,
      };
    case 'Query':
    case 'Scan': {
      const bytes = (response.Items ?? []).reduce((a, i) => a + itemBytes(i), 0);
      return { read: readUnits(bytes, request.ConsistentRead === true), write: 0 };
    }
    case 'TransactGetItems':
      return {
        read: (response.Responses ?? []).reduce(
          (a, r) => a + 2 * readUnits(r.Item === undefined ? 0 : itemBytes(r.Item), true),
          0,
        ),
        write: 0,
      };
    default:
      return { read: 0, write: 0 };
  }
}
