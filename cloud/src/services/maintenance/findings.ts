/**
 * Standing findings, one per component of a vehicle: the rule that a component raises one
 * MaintenanceRequired and then stays quiet while the finding stands.
 *
 * A finding opens when an assessment is `due` and closes when one is `clear` (a re-inflated
 * tyre, a fault that stopped recurring); only then can the component raise again. Each change
 * keeps the time of the data behind it, and only strictly newer data changes it — so a finding
 * learnt from the service's own event on the bus and one re-derived from replayed telemetry
 * agree whatever order the two topics are replayed in.
 */
import type { Assessment } from './assessment.js';

export interface Finding {
  open: boolean;
  /** Trusted time of the data that last opened or closed it. */
  at: number;
}

export type Findings = Map<string, Finding>;

/** Applies an assessment; true when it opens a finding (the caller raises the event). */
export function applyAssessment(findings: Findings, assessment: Assessment): boolean {
  const finding = findings.get(assessment.component);
  if (assessment.verdict === 'due' && finding?.open !== true) {
    if (finding !== undefined && finding.at >= assessment.at) return false;
    findings.set(assessment.component, { open: true, at: assessment.at });
    return true;
  }
  if (assessment.verdict === 'clear' && finding?.open === true && assessment.at > finding.at) {
    findings.set(assessment.component, { open: false, at: assessment.at });
  }
  return false;
}

/** The service's own MaintenanceRequired seen on the bus: the finding it raised stands (unless closed since). */
export function learnRaised(findings: Findings, component: string, at: number): void {
  const finding = findings.get(component);
  if (finding !== undefined && finding.at >= at) return;
  findings.set(component, { open: true, at });
}
