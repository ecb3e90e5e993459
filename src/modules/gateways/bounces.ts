// Why an undelivered message was not delivered, in the three classes a campaign report shows:
// hard (the number cannot receive SMS: it does not exist, is not in service or cannot take SMS;
// sending again fails the same way), soft (temporarily unreachable: phone off, out of coverage,
// memory full, network trouble; a later message may arrive) and unknown (the gateway said
// nothing we recognise). Each gateway kind classifies its own reports; the kinds without a table
// of their own (Textcast's JSON format) use the well-known codes below.

export const BOUNCES = ['hard', 'soft', 'unknown'] as const;
export type Bounce = (typeof BOUNCES)[number];

// Well-known delivery error codes, by name. Names rather than numbers, since a number means
// different things in each scheme (GSM MAP error 1 is "unknown subscriber", SMPP command status 1
// is "invalid message length", and aggregators renumber both). The names are GSM MAP's
// (3GPP TS 29.002 §17.6, the errors an operator's network answers a delivery attempt with, as
// SMSCs and aggregators pass them on, often prefixed EC_, e.g. EC_ABSENT_SUBSCRIBER) and SMPP
// 3.4's command_status names (ESME_R…) that concern the destination. Hard means the error is
// permanent for that number in these schemes (aggregators flag the same ones "permanent").
const BOUNCE_BY_CODE: Record<string, Bounce> = {
  // MAP 1: no such number at the operator (never allocated, or given up).
  UNKNOWN_SUBSCRIBER: 'hard',
  // MAP 5 and 9: the network does not know or does not accept the subscriber.
  UNIDENTIFIED_SUBSCRIBER: 'hard',
  ILLEGAL_SUBSCRIBER: 'hard',
  // MAP 11: the line has no SMS service (a landline, a data-only SIM).
  TELESERVICE_NOT_PROVISIONED: 'hard',
  // MAP 12: the handset is blacklisted.
  ILLEGAL_EQUIPMENT: 'hard',
  // The operator's and aggregators' plain words for a disconnected number.
  NUMBER_NOT_IN_SERVICE: 'hard',
  // SMPP 0x0000000B: the destination address is not a valid number.
  ESME_RINVDSTADR: 'hard',
  // MAP 27 and 6: the phone is off or out of coverage.
  ABSENT_SUBSCRIBER: 'soft',
  ABSENT_SUBSCRIBER_SM: 'soft',
  // MAP 31: the handset is busy receiving another message.
  SUBSCRIBER_BUSY_FOR_MT_SMS: 'soft',
  // MAP 32 (SM delivery failure, cause "memory capacity exceeded"): the handset's memory is full.
  MEMORY_CAPACITY_EXCEEDED: 'soft',
  // MAP 33: the network's list of messages waiting for this phone is full.
  MESSAGE_WAITING_LIST_FULL: 'soft',
  // MAP 34: the destination network failed; tried again later, it usually works.
  SYSTEM_FAILURE: 'soft',
  // No answer from the destination network in time.
  NETWORK_TIMEOUT: 'soft',
  // SMPP 0x00000014 and 0x00000058: the SMSC's queue is full, or it throttles us.
  ESME_RMSGQFUL: 'soft',
  ESME_RTHROTTLED: 'soft',
};

/** The class of a well-known error code, whatever its case and separators ("absent subscriber",
 * "EC_ABSENT_SUBSCRIBER"); 'unknown' for any other code, or none. */
export function bounceOfCode(errorCode: string | null): Bounce {
  if (!errorCode) return 'unknown';
  const name = errorCode
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_')
    .replace(/^EC_/, '');
  return BOUNCE_BY_CODE[name] ?? 'unknown';
}
