/**
 * The demo's remote unlock, as a booking system does it: once a booking is on the bus, it asks
 * the cloud to unlock the booked vehicle (`POST /v1/commands` with the booking client's token,
 * the booking's id in the command) and waits, bounded, for the outcome, which it prints. One
 * unlock is enough to show the path (cloud → edge's long poll → MQTT → vehicle → acknowledgement
 * → VehicleUnlocked back through the uplink), so it stops at the first success. A vehicle no
 * edge has reported yet (`unroutable`, early in a run) is skipped for the next booking; one that
 * answered otherwise (it may already be driving: the simulated fleet runs faster than real time)
 * is retried with a later booking, at most `attempts` times. Command ids carry a per-run tag:
 * the simulated fleet numbers its bookings from 1 again on every run.
 */
import { randomBytes } from 'node:crypto';
import type { EventEnvelope } from '@fleetwire/protocol';

export interface DemoUnlockOptions {
  cloudUrl: string;
  /** The booking client's token; its entry must allow `UnlockVehicle`. */
  token: string;
  /** Resolves once the booking service has delivered what it was handed: the unlock names a booking the cloud has. */
  delivered: () => Promise<void>;
  say: (line: string) => void;
  /** Bookings tried on vehicles the cloud could route to before giving up. Default 5. */
  attempts?: number;
  /** How long each command may take, and the request waits for it. Default 10 000. */
  timeoutMs?: number;
}

export interface DemoUnlock {
  /** A booking the booking service was handed; unlocked once delivered, unless an unlock is under way or done. */
  onBooked(booking: EventEnvelope<'VehicleBooked'>): void;
  stop(): void;
}

interface CommandAnswer {
  commandId: string;
  status: 'pending' | 'sent' | 'succeeded' | 'failed';
  reason?: string;
  detail?: string;
}

export function createDemoUnlock(options: DemoUnlockOptions): DemoUnlock {
  const { attempts = 5, timeoutMs = 10_000 } = options;
  const run = randomBytes(3).toString('hex');
  const cancel = new AbortController();
  let tried = 0;
  let busy = false;
  let done = false;

  async function unlock(booking: EventEnvelope<'VehicleBooked'>): Promise<void> {
    const { bookingId, vehicleId } = booking.data;
    const commandId = `demo-unlock-${run}-${bookingId}`;
    const response = await fetch(new URL(`/v1/commands?waitMs=${timeoutMs}`, options.cloudUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: JSON.stringify({ commandId, type: 'UnlockVehicle', vehicleId, bookingId, timeoutMs }),
      signal: cancel.signal,
    });
    if (!response.ok) {
      options.say(`unlock of ${vehicleId} for booking ${bookingId} refused by the cloud: ${response.status} ${await response.text()}`);
      done = true;
      return;
    }
    const answer = (await response.json()) as CommandAnswer;
    if (answer.reason === 'unroutable') return;
    tried += 1;
    done = answer.status === 'succeeded' || tried >= attempts;
    const why = answer.reason === undefined ? '' : ` (${answer.reason}${answer.detail === undefined ? '' : `: ${answer.detail}`})`;
    options.say(`unlock command ${commandId} for booking ${bookingId} on ${vehicleId}: ${answer.status}${why}`);
  }

  return {
    onBooked(booking) {
      if (done || busy) return;
      busy = true;
      void options.delivered()
        .then(() => (done ? undefined : unlock(booking)))
        .catch((error: unknown) => {
          if (!cancel.signal.aborted) options.say(`unlock of ${booking.data.vehicleId} not sent: ${(error as Error).message}`);
        })
        .finally(() => {
          busy = false;
        });
    },
    stop() {
      done = true;
      cancel.abort();
    },
  };
}
