import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../../drill/runner.ts';
import { seedOutage } from '../../drill/scenarios/lb-faults.ts';
import { DISCOVERY_UNUSED_GRANTS, UNUSED_GRANTS, type UnusedGrant } from '../../infra/iam-unused-grants.ts';
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
import { roleName } from '../support/iam/moto-identities.ts';
import { renderIamReport } from '../support/iam/report-markdown.ts';
import { loadOperations, proveRoles, type RoleProof } from '../support/iam/role-proof.ts';
import { DISCOVERY_FUNCTIONS, FUNCTIONS, type FunctionName } from '../support/iam/template-grants.ts';

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
// role. Its section follows the first in the report, which it leaves as it was.

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

type DiscoveryFunction = (typeof DISCOVERY_FUNCTIONS)[number];
let proof: IamProof;
let discovery: IamProof<DiscoveryFunction> | undefined;

beforeAll(async () => {
  proof = await startIamProof();
}, 120_000);

afterAll(async () => {
  await proof?.close();
});

afterEach(() => {
  const refused = [proof.recorder, discovery?.recorder].flatMap((recorder) => {
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

/**
 * The comparison of one proof's roles, as tests: used only what is granted, no grant neither used
 * nor explained, no stale explanation. Resolves to the proofs once its `beforeAll` has run.
 */
function compareRoles<F extends FunctionName>(
  label: string,
  fns: readonly F[],
  run: () => IamProof<F> | undefined,
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

describe('the report', () => {
  it('docs/iam-proof.md is the report of this run', () => {
    const first = standalone();
    const second = discoverySpoke();
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
