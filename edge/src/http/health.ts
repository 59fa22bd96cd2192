/**
 * `/healthz`: the process is alive and its event loop answers. `/readyz`: the agent can take
 * data — the buffer is open and every configured intake (embedded broker, bridge) is up. The
 * uplink's state is reported but does not make the agent unready: running offline is normal.
 * Served by operator-server.ts.
 */
export type CheckState = 'ok' | 'failing' | 'disabled';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { state: CheckState; detail?: string }>;
}
