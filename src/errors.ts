// Errors that modules throw and the error plugin turns into answers a user understands:
// a re-rendered form (422), a 404/403 page, or a JSON error under /api/.
// BadInputError is not thrown by modules: the edge (plugins/validation.ts) raises it when a
// request does not match its route's schema, before handler code runs.

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Bad input on named fields; nothing was changed. */
export class ValidationError extends AppError {
  constructor(readonly fields: Record<string, string>, message = 'Please correct the highlighted fields.') {
    super(422, 'validation', message);
  }
}

/** A request that does not have the shape its route declares (wrong type, a repeated field,
 * a value too long, a NUL byte...), named by field path. 400 under /api/ and /webhooks/; a form
 * route's `formErrors()` re-renders the form with 422 instead. */
export class BadInputError extends AppError {
  constructor(readonly fields: Record<string, string>, message: string) {
    super(400, 'bad_request', message);
  }
}

/** Bad input that API v2 names with one of the reference product's reply codes (2002: more than
 * 1,000 contacts, 2004: an unknown key field), where the generic 1001 would say less. */
export class CodedBadInputError extends BadInputError {
  constructor(fields: Record<string, string>, message: string, readonly replyCode: number) {
    super(fields, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do that.') {
    super(403, 'forbidden', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}
