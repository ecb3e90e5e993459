// A gateway that keeps failing is paused rather than burning through a campaign: consecutive
// transport failures (no HTTP answer, or a 5xx) are counted on the gateway row; at
// PAUSE_AFTER_FAILURES it is paused (dispatchers and the reply sender leave it alone) with the
// problem shown on its page and its campaigns' pages, until an owner resumes it. Any accepted
// message resets the count.
import type pg from 'pg';
import type { GatewayAdapter, OutgoingMessage, SendResult } from './gateway-kind.js';
import { TransportError } from './outbound-http.js';

export const PAUSE_AFTER_FAILURES = 50;

/** Sends a batch. When no answer came at all (the adapter threw a TransportError) every message
 * of it is refused for now, as a transport failure: retried later, not failed. */
export async function sendOrRetry(adapter: GatewayAdapter, messages: OutgoingMessage[]): Promise<SendResult[]> {
  try {
    return await adapter.send(messages);
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    const errorCode = error.code === 'refused' ? 'address_refused' : `no_answer_${error.code}`;
    return messages.map((m) => ({ clientRef: m.clientRef, accepted: false, permanent: false, errorCode, transport: true }));
  }
}

/** Counts a batch's transport failures on its gateway (or resets the count when one was
 * accepted), pausing the gateway when the count reaches PAUSE_AFTER_FAILURES. */
export async function recordGatewayHealthOn(client: pg.ClientBase, accountId: string, gatewayId: string, results: SendResult[]): Promise<void> {
  const accepted = results.some((r) => r.accepted);
  const failures = results.filter((r) => !r.accepted && r.transport);
  if (!accepted && !failures.length) return;
  const last = failures.at(-1);
  const problem = last && !last.accepted ? `Paused after ${PAUSE_AFTER_FAILURES} sends in a row got no answer from the gateway (last: ${last.errorCode}). Check its settings, then resume it.` : null;
  await client.query(
    `update gateway set
       consecutive_failures = case when $3 then 0 else consecutive_failures + $4 end,
       paused_at = case when not $3 and paused_at is null and consecutive_failures + $4 >= $5 then now() else paused_at end,
       problem = case when not $3 and paused_at is null and consecutive_failures + $4 >= $5 then $6 else problem end
     where account_id = $1 and id = $2`,
    [accountId, gatewayId, accepted, failures.length, PAUSE_AFTER_FAILURES, problem],
  );
}

/** What a paused or disabled gateway's campaigns say on their page; null when it may send. */
export function gatewayAlert(gateway: { name: string; disabled: boolean; pausedAt?: Date | null; problem?: string | null } | null | undefined): string | null {
  if (gateway?.disabled) return `Nothing goes out: the gateway "${gateway.name}" is disabled (Settings → Gateways).`;
  if (gateway?.pausedAt) return `Nothing goes out: the gateway "${gateway.name}" is paused. ${gateway.problem ?? ''} (Settings → Gateways)`;
  return null;
}
