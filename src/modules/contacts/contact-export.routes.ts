// GET /contacts/export?segment=<id> | ?list=<id> | (nothing: every contact): a CSV download,
// streamed (contact-export.queries.ts). Exports hold personal data in bulk, so only marketers and
// owners may export; viewers, who see every page, get 403. Another account's (or an unknown)
// segment or list is 404.
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import type { TypedApp } from '../../plugins/validation.js';
import { IdText } from '../../plugins/schemas.js';
import { withClient } from '../../db/raw-client.js';
import { sendCsvDownload } from '../../plugins/csv-download.js';
import { AppError, ForbiddenError, ValidationError } from '../../errors.js';
import { hasRole } from '../accounts/index.js';
import { ContactList } from './contact-list.entity.js';
import { Segment } from './segment.entity.js';
import { compileRules } from './segment-compiler.js';
import { loadSegmentContextOn } from './segment.queries.js';
import type { SegmentRules } from './segment-rules.js';
import { exportCsvOn } from './contact-export.queries.js';
import { slugify } from '../../text.js';

/** Ids are only bounded: a malformed one is an unknown segment or list (404). */
const ExportQuery = Type.Object({ segment: Type.Optional(IdText()), list: Type.Optional(IdText()) });

function slug(name: string): string {
  return slugify(name).slice(0, 60) || 'export';
}

export async function contactExportRoutes(app: TypedApp) {
  app.get('/', { schema: { querystring: ExportQuery } }, async (request, reply) => {
    if (!hasRole(request.user!, 'marketer')) throw new ForbiddenError('Exports hold personal data: only marketers and owners can export contacts.');
    const { segment: segmentId, list: listId } = request.query;
    if (segmentId !== undefined && listId !== undefined) throw new AppError(400, 'bad_request', 'Export a segment or a list, not both.');

    let rules: SegmentRules = { combinator: 'and', conditions: [] };
    let filename = 'contacts';
    if (segmentId !== undefined) {
      const segment = await findOr404(request.em, Segment, segmentId, 'segment');
      rules = segment.rules;
      filename = `segment-${slug(segment.name)}`;
    } else if (listId !== undefined) {
      const list = await findOr404(request.em, ContactList, listId, 'list');
      rules = { combinator: 'and', conditions: [{ field: 'list', operator: 'in_list', value: list.id }] };
      filename = `list-${slug(list.name)}`;
    }
    const accountId = request.account!.id;
    const context = await withClient(request.em, (client) => loadSegmentContextOn(client, accountId, rules));
    let compiled;
    try {
      compiled = compileRules(rules, context.customFields, { accountId, lists: context.lists, timeZone: context.timeZone });
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(error.fields, `This segment cannot be exported until its rules are fixed. ${error.message}`);
      throw error;
    }

    return sendCsvDownload(request, reply, filename, (client) => exportCsvOn(client, compiled, context.customFields));
  });
}
