import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../../drill/runner.ts';
import { seedOutage } from '../../drill/scenarios/lb-faults.ts';
import { UNUSED_GRANTS } from '../../infra/iam-unused-grants.ts';
import { createElbv2Client, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { inspectClients } from '../../lambdas/inspect/deps.ts';
import { ActionRecorder } from '../support/iam/action-recorder.ts';
import { type IamProof, PROOF_TEMPLATE, startIamProof } from '../support/iam/harness.ts';
import { roleName } from '../support/iam/moto-identities.ts';
import { renderIamReport } from '../support/iam/report-markdown.ts';
import { loadOperations, proveRoles, type RoleProof } from '../support/iam/role-proof.ts';
import { FUNCTIONS, type FunctionName } from '../support/iam/template-grants.ts';

// Issue 14, "prove the roles by running under them": moto with IAM enforcement, each function's
// role holding what the synthesized template grants it, and the lambdas' integration scenarios
// and the seed drill run with each function's clients under its role (the scenario files are
// imported below, unchanged: whatever scenario they gain runs here too). Every call moto refuses
// fails the test that made it, naming the role and the action; at the end, what each role used
// is compared with what it is granted, and docs/iam-proof.md is checked (or, with
// LBGUARD_IAM_REPORT=write, written: `npm run iam-report`).

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

let proof: IamProof;

beforeAll(async () => {
  proof = await startIamProof();
}, 120_000);

afterAll(async () => {
  await proof?.close();
});

afterEach(() => {
  const refused = proof.recorder.refusalLines(roleName);
  proof.recorder.refusals.length = 0;
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

describe('used against granted, per role', () => {
  let proofs: Record<FunctionName, RoleProof>;

  beforeAll(async () => {
    const patterns = FUNCTIONS.flatMap((fn) => proof.grants[fn].grants.map((g) => g.action));
    const all = proveRoles(proof.grants, proof.recorder.used, UNUSED_GRANTS, await loadOperations(patterns));
    proofs = Object.fromEntries(all.map((p) => [p.fn, p])) as Record<FunctionName, RoleProof>;
  });

  it.each(FUNCTIONS)('%s used only actions its role is granted', (fn) => {
    expect(
      proof.recorder.used.get(fn)?.size ?? 0,
      `${fn} used nothing: did its scenarios run?`,
    ).toBeGreaterThan(0);
    expect(
      proofs[fn].usedNotGranted,
      `${fn} called these without a grant: grant them in infra/grants.ts or stop calling them`,
    ).toEqual([]);
  });

  it.each(FUNCTIONS)('%s holds no grant that is neither used nor listed with its reason', (fn) => {
    expect(
      proofs[fn].unexplained,
      `granted to ${fn} and used by no scenario: exercise it, or add it to infra/iam-unused-grants.ts with the reason it is needed`,
    ).toEqual([]);
  });

  it.each(FUNCTIONS)('%s has no stale entry in infra/iam-unused-grants.ts', (fn) => {
    expect(proofs[fn].stale, `remove these ${fn} entries from infra/iam-unused-grants.ts`).toEqual([]);
  });

  it('docs/iam-proof.md is the report of this run', () => {
    const rendered = renderIamReport({
      template: PROOF_TEMPLATE,
      suites: SUITES,
      proofs: FUNCTIONS.map((fn) => proofs[fn]),
      grants: proof.grants,
    });
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
