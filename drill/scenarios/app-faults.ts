import type { Scenario } from './types.ts';

// Faults behind the load balancer. Routing is balanced and correct; lbguard must say so and
// hand the incident to a human without writing a single ELBv2 call.

/** One server crashes and stays down for a while; the others carry the load. */
export const backendCrashBalanced: Scenario = {
  name: 'backend-crash-balanced',
  title: 'A server crashes under balanced routing',
  story:
    'web-a-1 crashes (its EC2 instance stops) and stays down for 20 AWS minutes. Routing is as it should be; the load balancer is not the cause, and restoring any configuration would not help.',
  world: { restartDelayMs: 20_000 },
  async inject(ctx) {
    const victim = ctx.instances('web-a')[0];
    if (victim === undefined) throw new Error('the shop has no web-a instance');
    ctx.mark('fault', `${victim.instanceId} (web-a) crashes`);
    ctx.world.fleet.crash(victim.instanceId);
  },
  observeMs: 12_000,
  expect: {
    incident: 'escalated',
    causes: ['targets-unhealthy-balanced', 'no-healthy-targets', 'single-survivor'],
    writes: 'none',
    // Whether customers recover while the server is down depends on whether its group's
    // survivor can carry twice its share: capacity, which lbguard rightly leaves alone.
    recovered: 'either',
  },
};

/** Every server answers 500 while /health stays green: a failing database. */
export const backend500s: Scenario = {
  name: 'backend-500s',
  title: 'The database fails: every page answers 500',
  story:
    'Every server answers 500 to every page while its shallow /health check stays 200, as when the database behind them fails. Load balancer and targets look healthy; lbguard must blame the backend and leave the load balancer alone.',
  async inject(ctx) {
    ctx.mark('fault', 'database down: every server answers 500 (health checks still pass)');
    for (const i of ctx.world.control.instances) ctx.world.fleet.setMode(i.instanceId, 'fail-500');
  },
  observeMs: 10_000,
  expect: {
    incident: 'escalated',
    causes: ['backend-errors-balanced'],
    writes: 'none',
    recovered: false,
  },
};
