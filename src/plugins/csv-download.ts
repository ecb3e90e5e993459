// A CSV download streamed from the database: the connection is held until the last chunk is
// written (or the download is abandoned, which ends the reading transaction and releases it), so
// a million rows never sit in memory and a slow client holds back the reads.
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { withClient } from '../db/raw-client.js';

/** Answers with `<name>-<today>.csv`, made of the chunks `produce` yields on its own connection. */
export function sendCsvDownload(request: FastifyRequest, reply: FastifyReply, name: string, produce: (client: pg.Client) => AsyncIterable<string>): FastifyReply {
  const body = new PassThrough();
  withClient(request.em, (client) => pipeline(Readable.from(produce(client)), body)).catch((error: Error & { code?: string }) => {
    if (error.code === 'ERR_STREAM_PREMATURE_CLOSE') request.log.info('CSV download abandoned by the client');
    else request.log.error({ err: error }, 'CSV download failed');
    body.destroy(error);
  });
  const filename = `${name}-${new Date().toISOString().slice(0, 10)}.csv`;
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).header('cache-control', 'no-store').send(body);
}
