/**
 * The incident's vocabulary: states, timeline, events and effects of the state machine in
 * lib/incident.ts, which re-exports them.
 */
import type { Diagnosis, RemediationPolicy, Severity, Thresholds } from '../types.ts';

export type IncidentState =
  | 'ok'
  | 'suspected'
  | 'confirmed'
  | 'mitigating'
  | 'verifying'
  | 'resolved'
  | 'escalated';

export interface TimelineEntry {
  readonly at: string;
  readonly from: IncidentState;
  readonly to: IncidentState;
  readonly what: string;
  readonly evidence: readonly string[];
}

export interface Incident {
  readonly id: string;
  readonly service: string;
  readonly state: IncidentState;
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly closedAt?: string;
  readonly diagnosis?: Diagnosis;
  readonly breaches: number;
  readonly planHash?: string;
  /** Readable lines, one per plan step. */
  readonly planSteps?: readonly string[];
  /** ISO times of remediation attempts (for cooldown and the hourly budget). */
  readonly remediations: readonly string[];
  readonly timeline: readonly TimelineEntry[];
  /** Set while remediation waits on a deployment in flight: the owners it waits on (lib/owners.ts). */
  readonly deferral?: Deferral;
  /** Approve mode: the held steps waiting for a person (lib/approval.ts), until applied or replaced. */
  readonly approval?: PendingApproval;
}

/** A plan's held steps waiting for `lbguard approve`, bound to the plan and the load balancer. */
export interface PendingApproval {
  /** Hash of the held steps (lib/plan.ts `planHash`): what the person approves. */
  readonly planHash: string;
  /** Hash of the live snapshot they were planned against (lib/snapshot.ts `hashSnapshot`). */
  readonly snapshotHash: string;
  readonly askedAt: string;
  readonly expiresAt: string;
  /** The held steps, readable, in order. */
  readonly steps: readonly string[];
  readonly remindedAt?: string;
  readonly escalatedAt?: string;
  /** The approver's identity (the STS caller ARN) and when; absent until approved. */
  readonly approvedBy?: string;
  readonly approvedAt?: string;
}

/** Why remediate last held back: the owners in flight, by id, and since when it has waited on them. */
export interface Deferral {
  /** Stack names, deployment ids, or `change:<event>@<time>`: what the notification named. */
  readonly owners: readonly string[];
  readonly since: string;
  readonly lastCheckedAt: string;
}

export type IncidentEvent =
  | {
      readonly type: 'observed';
      readonly at: string;
      readonly diagnosis: Diagnosis;
      readonly planHash?: string;
      readonly planSteps?: readonly string[];
      /** Whether the data plane follows the newest write, while that is news (lib/convergence.ts). */
      readonly dataPlane?: 'converged' | 'converging' | 'not-following' | 'unobserved';
    }
  | { readonly type: 'remediation-started'; readonly at: string; readonly planHash: string }
  | { readonly type: 'remediation-applied'; readonly at: string; readonly steps: readonly string[] }
  | { readonly type: 'remediation-failed'; readonly at: string; readonly error: string }
  | { readonly type: 'verified'; readonly at: string; readonly evidence: readonly string[] }
  | {
      readonly type: 'verification-failed';
      readonly at: string;
      readonly evidence: readonly string[];
      /**
       * A cause found while verifying that replaces the incident's (the data plane not following
       * the configuration lbguard wrote): the escalation names it, and the postmortem tells it.
       */
      readonly diagnosis?: Diagnosis;
    }
  | { readonly type: 'lock-held'; readonly at: string }
  /**
   * Remediate found an owner in flight (a deployment changing this routing) and wrote nothing;
   * `lines` say who and what to do. The attempt it was admitted for is handed back.
   */
  | {
      readonly type: 'remediation-deferred';
      readonly at: string;
      readonly owners: readonly string[];
      readonly lines: readonly string[];
    };

export type Effect =
  | {
      readonly type: 'notify';
      readonly severity: Severity;
      readonly subject: string;
      readonly lines: readonly string[];
    }
  | { readonly type: 'invoke-remediation'; readonly incidentId: string; readonly planHash: string }
  /** Dry-run: tell humans what would be done. */
  | { readonly type: 'notify-plan'; readonly planHash: string; readonly steps: readonly string[] }
  | { readonly type: 'escalate'; readonly reason: string };

export interface TransitionContext {
  readonly policy: RemediationPolicy;
  readonly thresholds: Thresholds;
  /** Service-wide ISO times of remediation attempts across incidents, for the hourly budget. */
  readonly previousRemediations?: readonly string[];
}

export interface TransitionResult {
  readonly incident: Incident;
  readonly effects: readonly Effect[];
}
