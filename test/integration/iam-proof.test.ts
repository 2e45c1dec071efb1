import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  DescribeListenersCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../../drill/runner.ts';
import { seedOutage } from '../../drill/scenarios/lb-faults.ts';
import {
  DISCOVERY_UNUSED_GRANTS,
  HUB_UNUSED_GRANTS,
  UNUSED_GRANTS,
  type UnusedGrant,
} from '../../infra/iam-unused-grants.ts';
import { createElbv2Client, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { inspectClients } from '../../lambdas/inspect/deps.ts';
import { ActionRecorder } from '../support/iam/action-recorder.ts';
import {
  DISCOVERY_PROOF,
  DISCOVERY_PROOF_TEMPLATE,
  type IamProof,
  PROOF_TEMPLATE,
  startIamProof,
} from '../support/iam/harness.ts';
import {
  HUB_PROOF_TEMPLATE,
  HUB_ROLES,
  type HubIamProof,
  type HubRole,
  startHubIamProof,
} from '../support/iam/hub-harness.ts';
import { roleName } from '../support/iam/moto-identities.ts';
import { renderIamReport } from '../support/iam/report-markdown.ts';
import { loadOperations, proveRoles, type RoleProof } from '../support/iam/role-proof.ts';
import {
  DISCOVERY_FUNCTIONS,
  FUNCTIONS,
  type FunctionName,
  type RoleGrants,
} from '../support/iam/template-grants.ts';

// Issue 14, "prove the roles by running under them": moto with IAM enforcement, each function's
// role holding what the synthesized template grants it, and the lambdas' integration scenarios
// and the seed drill run with each function's clients under its role (the scenario files are
// imported below, unchanged: whatever scenario they gain runs here too). Every call moto refuses
// fails the test that made it, naming the role and the action; at the end, what each role used
// is compared with what it is granted, and docs/iam-proof.md is checked (or, with
// LBGUARD_IAM_REPORT=write, written: `npm run iam-report`).
//
// Issue 19 added roles the stand-alone stack does not have: a second proof, on a moto of its own,
// holds the roles of a spoke in discovery mode (enrol; probe and remediate reading the signed
// registry; remediate reading tags) and runs the enrolment scenarios with each function under its
// role. Its section follows the first in the report, which it leaves as it was. A third proof
// holds the hub's roles (hub-ingest, hub-coverage) and, in each listed account, the fleet reader
// role hub-coverage assumes, and runs the hub's scenarios.

const REPORT = new URL('../../docs/iam-proof.md', import.meta.url);
const SUITES = [
  {
    name: 'lambdas scenarios',
    covers:
      'test/integration/lambdas-outage, lambdas-guardrails, lambdas-signals and lambdas-owners (the outage end to end, dry-run, backend fault, path rule, concurrent and retried remediation, throttling, access denied, malformed events, change attribution, the single survivor, a CodeDeploy deployment in flight)',
  },
  {
    name: 'seed drill',
    covers: "the drill's seed outage (drill/scenarios/lb-faults.ts) on HAProxy, guarded, with its own checks",
  },
] as const;
const DISCOVERY_SUITES = [
  {
    name: 'enrolment scenarios',
    covers:
      'test/integration/enrolment.test.ts (enrolment on a CloudTrail event and on the sweep, a failed call ignored, release when untagged and when deleted, a tampered registry refused and rewritten, two racing sweeps, remediate refusing a load balancer untagged since, and restoring a tag-enrolled one), each function putting its hub events on the default bus',
  },
] as const;

const HUB_SUITES = [
  {
    name: 'hub scenarios',
    covers:
      'test/integration/hub-coverage.test.ts (heartbeats from spokes in 3 accounts × 2 regions ingested, the silent spoke and the refusing account uncovered and told once, recovery, a foreign ARN refused, late and older events never overwriting newer ones, a heartbeat of 150 load balancers, stale heartbeats), hub-coverage listing each account through the reader role',
  },
] as const;

type DiscoveryFunction = (typeof DISCOVERY_FUNCTIONS)[number];
let proof: IamProof;
let discovery: IamProof<DiscoveryFunction> | undefined;
let hub: HubIamProof | undefined;

beforeAll(async () => {
  proof = await startIamProof();
}, 120_000);

afterAll(async () => {
  await proof?.close();
});

afterEach(() => {
  const refused = [proof.recorder, discovery?.recorder, hub?.recorder].flatMap((recorder) => {
    const lines = recorder?.refusalLines(roleName) ?? [];
    if (recorder !== undefined) recorder.refusals.length = 0;
    return lines;
  });
  expect(refused, 'calls moto refused under a function role').toEqual([]);
});

describe('the harness', () => {
  it('is refused a call outside the role and allowed one inside it, so it can fail', async () => {
    await proof.reset();
    // A recorder of its own: these calls are the harness's, not a function's.
    const local = new ActionRecorder();
    const asProbe = local.instrument('probe', {
      elbv2: createElbv2Client({ ...proof.clientOptions('probe'), maxAttempts: 1 }),
    });
    const asInspect = local.instrument('inspect', inspectClients(proof.clientOptions('inspect')));
    await expect(asProbe.elbv2.send(new DescribeTargetGroupsCommand({}))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    expect(local.refusalLines(roleName)).toEqual([
      expect.stringMatching(
        /^role lbguard-probe \(probe\) was refused elasticloadbalancing:DescribeTargetGroups: AccessDenied /,
      ),
    ]);
    await expect(asInspect.elbv2.send(new DescribeTargetGroupsCommand({}))).resolves.toBeDefined();
    expect([...(local.used.get('inspect')?.keys() ?? [])]).toEqual([
      'elasticloadbalancing:DescribeTargetGroups',
    ]);
    destroyAwsClients(asProbe);
    destroyAwsClients(asInspect);
  });
});

describe("the lambdas' integration scenarios, each function under its role", async () => {
  beforeAll(() => {
    proof.recorder.suite = SUITES[0].name;
  });
  await import('./lambdas-outage.test.ts');
  await import('./lambdas-guardrails.test.ts');
  await import('./lambdas-signals.test.ts');
  await import('./lambdas-owners.test.ts');
});

describe('the seed drill, each function under its role', () => {
  it('restores the seed outage and meets its checks', async () => {
    proof.recorder.suite = SUITES[1].name;
    const ids = await proof.reset();
    const [result] = await runDrill([seedOutage], {
      motoUrl: proof.moto.url,
      resetMoto: false,
      credentials: ids.admin,
      functionClients: proof.functionClients,
      compareUnguarded: false,
      observeMs: 12_000,
      baselineMs: 1_000,
    });
    expect(result?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result?.guarded.run.errors).toEqual([]);
  }, 180_000);
});

describe('a spoke in discovery mode: the enrolment scenarios, each function under its role', async () => {
  beforeAll(async () => {
    discovery = await startIamProof(DISCOVERY_PROOF);
    discovery.recorder.suite = DISCOVERY_SUITES[0].name;
  }, 120_000);
  afterAll(async () => {
    await discovery?.close();
    // The first proof's moto and roles again, for any world built after this group.
    proof.activate();
  });
  await import('./enrolment.test.ts');
});

describe("the hub's scenarios, each hub function and the reader role under its role", async () => {
  beforeAll(async () => {
    hub = await startHubIamProof();
    hub.recorder.suite = HUB_SUITES[0].name;
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    proof.activate();
  });
  await import('./hub-coverage.test.ts');

  it('records on the wire: a call the reader role is not granted is refused, naming that role', async () => {
    const ran = hub as HubIamProof;
    const hubAccount = { endpoint: ran.proxyUrl, region: 'us-east-1', maxAttempts: 1 };
    const sts = new STSClient({
      ...hubAccount,
      credentials: ran.identities().roles['hub-coverage'] ?? { accessKeyId: '', secretAccessKey: '' },
    });
    const assumed = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::111111111111:role/lbguard-fleet-reader',
        RoleSessionName: 'iam-proof-check',
      }),
    );
    sts.destroy();
    const c = assumed.Credentials;
    const asReader = createElbv2Client({
      ...hubAccount,
      credentials: {
        accessKeyId: c?.AccessKeyId ?? '',
        secretAccessKey: c?.SecretAccessKey ?? '',
        sessionToken: c?.SessionToken ?? '',
      },
    });
    // Granted to operators only (OperatorPrincipalArns), which the template's defaults leave out.
    await expect(
      asReader.send(new DescribeListenersCommand({ LoadBalancerArn: 'arn:aws:x' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    asReader.destroy();
    expect(ran.recorder.refusalLines(roleName)).toEqual([
      expect.stringMatching(
        /^role lbguard-fleet-reader \(fleet-reader\) was refused elasticloadbalancing:DescribeListeners: AccessDenied /,
      ),
    ]);
    ran.recorder.refusals.length = 0;
  });
});

/**
 * The comparison of one proof's roles, as tests: used only what is granted, no grant neither used
 * nor explained, no stale explanation. Resolves to the proofs once its `beforeAll` has run.
 */
function compareRoles<F extends FunctionName>(
  label: string,
  fns: readonly F[],
  run: () =>
    | { readonly grants: Readonly<Record<F, RoleGrants>>; readonly recorder: IamProof['recorder'] }
    | undefined,
  unusedList: Readonly<Record<F, Readonly<Record<string, UnusedGrant>>>>,
  listFile: string,
): () => Record<F, RoleProof> {
  let proofs: Record<F, RoleProof> | undefined;
  describe(`used against granted, per role${label}`, () => {
    beforeAll(async () => {
      const ran = run();
      if (ran === undefined) throw new Error(`IAM proof${label}: its scenarios never started`);
      const patterns = fns.flatMap((fn) => ran.grants[fn].grants.map((g) => g.action));
      const all = proveRoles(ran.grants, ran.recorder.used, unusedList, await loadOperations(patterns), fns);
      proofs = Object.fromEntries(all.map((p) => [p.fn, p])) as Record<F, RoleProof>;
    });

    it.each(fns)('%s used only actions its role is granted', (fn) => {
      expect(
        run()?.recorder.used.get(fn)?.size ?? 0,
        `${fn} used nothing: did its scenarios run?`,
      ).toBeGreaterThan(0);
      expect(
        proofs?.[fn].usedNotGranted,
        `${fn} called these without a grant: grant them in infra/ or stop calling them`,
      ).toEqual([]);
    });

    it.each(fns)('%s holds no grant that is neither used nor listed with its reason', (fn) => {
      expect(
        proofs?.[fn].unexplained,
        `granted to ${fn} and used by no scenario: exercise it, or add it to ${listFile} with the reason it is needed`,
      ).toEqual([]);
    });

    it.each(fns)(`%s has no stale entry in ${listFile}`, (fn) => {
      expect(proofs?.[fn].stale, `remove these ${fn} entries from ${listFile}`).toEqual([]);
    });
  });
  return () => {
    if (proofs === undefined) throw new Error(`IAM proof${label}: roles not compared`);
    return proofs;
  };
}

const standalone = compareRoles('', FUNCTIONS, () => proof, UNUSED_GRANTS, 'infra/iam-unused-grants.ts');
const discoverySpoke = compareRoles(
  ' (discovery spoke)',
  DISCOVERY_FUNCTIONS,
  () => discovery,
  DISCOVERY_UNUSED_GRANTS,
  'infra/iam-unused-grants.ts (DISCOVERY_UNUSED_GRANTS)',
);

const hubRoles = compareRoles<HubRole>(
  ' (hub)',
  HUB_ROLES,
  () => hub,
  HUB_UNUSED_GRANTS,
  'infra/iam-unused-grants.ts (HUB_UNUSED_GRANTS)',
);

describe('the report', () => {
  it('docs/iam-proof.md is the report of this run', () => {
    const first = standalone();
    const second = discoverySpoke();
    const third = hubRoles();
    const rendered = renderIamReport(
      {
        template: PROOF_TEMPLATE,
        suites: SUITES,
        proofs: FUNCTIONS.map((fn) => first[fn]),
        grants: proof.grants,
      },
      [
        {
          title: 'Part 2: a spoke in discovery mode',
          template: DISCOVERY_PROOF_TEMPLATE,
          notes: [
            'Its own IAM-enforcing moto, with the four function roles of this template. The enrolment scenarios build',
            "each function's deps as its handler does, with that function's clients under its role; their set-up, their",
            "reads and the forged registry item are the administrator's. Each function's hub events are also put on the",
            "account's default bus with its own signing, as with a hub bus given (`LBGUARD_HUB_EVENTS=on`).",
          ],
          suites: DISCOVERY_SUITES,
          proofs: DISCOVERY_FUNCTIONS.map((fn) => second[fn]),
          grants: discovery?.grants ?? {},
        },
        {
          title: 'Part 3: the hub, and the fleet reader role it assumes',
          template: HUB_PROOF_TEMPLATE,
          notes: [
            'Its own IAM-enforcing moto holding four accounts: the hub (123456789012) with the two hub function roles,',
            'and each listed account with the reader role and an administrator of its own for the set-up there (its load',
            "balancers, its default bus's forwarding rule). The hub's deps are built from an endpoint and credentials, so",
            "each call is recorded on the wire, by a proxy in front of moto that names the role by the call's access key;",
            "the keys hub-coverage's sts:AssumeRole hands out are the reader role's. moto evaluates no trust policy, so",
            'which principal may assume the reader role is proven on the template (test/unit/infra/fleet-role.test.ts);',
            "the fourth account, which refuses the role, is played by the test's STS proxy as before. Not run under a role",
            "here: the spoke's forwarding role (EventBridge puts on the hub bus with it) and the hub bus's resource policy",
            "(the organisation or the listed accounts): moto's EventBridge neither assumes a target's role nor evaluates a",
            'bus policy, and the scenarios stand an SQS queue in for the hub bus; test/unit/infra/hub-forwarding.test.ts',
            'and hub.test.ts judge them on the template. Nor is the `organization: true` hub (organizations:ListAccounts,',
            'sts:AssumeRole limited by aws:ResourceOrgID): the scenarios list their accounts.',
          ],
          suites: HUB_SUITES,
          proofs: HUB_ROLES.map((fn) => third[fn]),
          grants: hub?.grants ?? {},
        },
      ],
    );
    if (process.env.LBGUARD_IAM_REPORT === 'write') {
      writeFileSync(REPORT, rendered);
      process.stdout.write(`iam-proof: wrote ${REPORT.pathname}\n`);
      return;
    }
    const stale = 'docs/iam-proof.md is out of date: run `npm run iam-report` and commit the result';
    expect(existsSync(REPORT), stale).toBe(true);
    expect(readFileSync(REPORT, 'utf8'), stale).toBe(rendered);
  });
});
