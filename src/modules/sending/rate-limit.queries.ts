// A gateway's messages-per-second limit, shared by every dispatching process: the gateway row
// keeps a virtual clock, the time its next message may leave. Reserving n messages moves the
// clock n/mps seconds on, atomically, and the caller waits until its reserved start. An idle
// gateway's clock lags at most one second behind now, so a burst of one second's worth may
// leave at once and the average never exceeds the limit. The caller waits (dispatcher.ts).
import type pg from 'pg';

/** Reserves `count` messages' time on the gateway's clock; answers how many ms to wait before sending them. */
export async function reserveSendSlotsOn(client: pg.ClientBase, accountId: string, gatewayId: string, count: number): Promise<number> {
  const { rows } = await client.query<{ wait_ms: number }>(
    `with reserved as (
       update gateway set rate_clock = greatest(coalesce(rate_clock, clock_timestamp()), clock_timestamp() - interval '1 second')
                                        + make_interval(secs => $3::float8 / messages_per_second)
       where account_id = $1 and id = $2
       returning rate_clock - make_interval(secs => $3::float8 / messages_per_second) as starts)
     select greatest(0, extract(epoch from (starts - clock_timestamp())) * 1000)::float8 as wait_ms from reserved`,
    [accountId, gatewayId, count],
  );
  return rows[0]?.wait_ms ?? 0;
}
