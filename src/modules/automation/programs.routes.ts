// Automation → Programs: the list, a program's page (steps with their counts, recent runs with
// their paths), its form, activation and pause, and its steps (add, edit, move, disable, delete).
// Owners and marketers change them; viewers read.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findOr404 } from '../../db/find.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import { formErrors, type FormProblem, type TypedApp } from '../../plugins/validation.js';
import { EmptyForm, Form, IdText, LINE, OptionalText, Uuid, UuidParams, WholeNumber } from '../../plugins/schemas.js';
import { ExternalEvent } from './external-event.entity.js';
import { Program, ProgramStep, RUN_STATUSES, STEP_KINDS, type StepKind } from './program.entity.js';
import {
  addStep, changeProgramStatus, createProgram, deleteProgram, deleteStep, moveStep, setStepEnabled, stepChoices, stepsOf, updateProgram, updateStep,
  describeStep, STEP_LABELS, WAIT_UNITS, type StepInput,
} from './programs.service.js';
import { countsOf, programTotals, recentRuns, stepCounts, RUNS_PAGE } from './programs.queries.js';

const IdParams = UuidParams('program');
const StepParams = Type.Object({ id: Uuid({ errorMessage: 'There is no such program.' }), stepId: Uuid({ errorMessage: 'There is no such step.' }) });
const ProgramForm = Form({ name: OptionalText(LINE), event: Type.Optional(IdText()), reentry_minutes: OptionalText(20) });
const StepForm = Form({
  kind: OptionalText(20),
  campaign: Type.Optional(IdText()),
  email_template: Type.Optional(IdText()),
  list: Type.Optional(IdText()),
  wait_mode: OptionalText(10),
  wait_amount: OptionalText(20),
  wait_unit: OptionalText(10),
  wait_until: OptionalText(10),
  field_key: OptionalText(100),
  field_value: OptionalText(2000),
});
const RunsQuery = Type.Object({ page: Type.Optional(WholeNumber()), status: Type.Optional(Type.Enum(['', ...RUN_STATUSES], { type: 'string' })) });

const PAGE = { title: 'Automation', tab: 'automation' as const };

/** What the pages show about steps wherever they show them. */
const helpers = { describeStep, stepLabels: STEP_LABELS, stepKinds: STEP_KINDS, waitUnits: Object.keys(WAIT_UNITS), runStatuses: RUN_STATUSES, countsOf };

function mustEdit(request: FastifyRequest): void {
  if (request.user!.role === 'viewer') throw new ForbiddenError('Viewers can look at everything but change nothing.');
}

/** A step's form values, as the form would post them. */
function stepValues(step: ProgramStep): StepInput {
  const wait = step.waitSeconds ?? 0;
  const unit = wait % 86_400 === 0 ? 'days' : wait % 3600 === 0 ? 'hours' : 'minutes';
  return {
    kind: step.kind,
    campaign: step.campaign?.id,
    email_template: step.emailTemplate?.id,
    list: step.list?.id,
    wait_mode: step.waitUntil ? 'until' : 'for',
    wait_amount: step.waitSeconds ? String(wait / WAIT_UNITS[unit]) : '',
    wait_unit: unit,
    wait_until: step.waitUntil ?? '',
    field_key: step.fieldKey ?? '',
    field_value: step.fieldValue ?? '',
  };
}

export async function programsRoutes(app: TypedApp) {
  const loadProgram = (request: FastifyRequest, id: string) => findOr404(request.em, Program, id, 'program', { populate: ['event'] });
  const loadStep = async (request: FastifyRequest, params: { id: string; stepId: string }) => {
    const program = await loadProgram(request, params.id);
    const step = await request.em.findOne(ProgramStep, { id: params.stepId, program }, { populate: ['campaign', 'emailTemplate', 'list'] });
    if (!step) throw new NotFoundError('There is no such step.');
    return { program, step };
  };

  const programForm = async (request: FastifyRequest, reply: FastifyReply, program: Program | null, problem?: FormProblem) => {
    const events = await request.em.find(ExternalEvent, {}, { orderBy: { name: 'asc' } });
    const values = problem?.values ?? (program ? { name: program.name, event: program.event.id, reentry_minutes: String(program.reentryMinutes) } : { reentry_minutes: '1440' });
    return reply.page('automation/programs/form', { program, events, values, errors: problem?.fields ?? {} }, { ...PAGE, title: program ? `Edit ${program.name}` : 'New program' });
  };

  const stepForm = async (request: FastifyRequest, reply: FastifyReply, program: Program, step: ProgramStep | null, kind: StepKind, problem?: FormProblem) => {
    const values = problem?.values ?? (step ? stepValues(step) : { kind, wait_mode: 'for', wait_unit: 'days', wait_amount: '1' });
    const title = `${step ? 'Edit' : 'Add'} step: ${STEP_LABELS[kind]}`;
    return reply.page('automation/programs/step-form', { ...helpers, program, step, kind, choices: await stepChoices(request.em), values, errors: problem?.fields ?? {} }, { ...PAGE, title });
  };

  app.get('/', async (request, reply) => {
    const programs = await request.em.find(Program, {}, { orderBy: { name: 'asc' }, populate: ['event'] });
    const totals = await programTotals(request.em, request.account!.id, programs.map((p) => p.id));
    return reply.page('automation/programs/index', { programs, totals }, { ...PAGE, title: 'Programs' });
  });

  app.get('/new', async (request, reply) => {
    mustEdit(request);
    return programForm(request, reply, null);
  });

  app.post('/', { schema: { body: ProgramForm }, errorHandler: formErrors((request, reply, problem) => programForm(request, reply, null, problem)) }, async (request, reply) => {
    const program = await createProgram(request.em, request.account!, request.body);
    return reply.redirect(`/automation/programs/${program.id}`, 303);
  });

  app.get('/:id', { schema: { params: IdParams, querystring: RunsQuery } }, async (request, reply) => {
    const program = await loadProgram(request, request.params.id);
    const page = Math.max(1, Number(request.query.page ?? 1));
    const status = request.query.status || undefined;
    const [steps, counts, totals, runs] = await Promise.all([
      stepsOf(request.em, program),
      stepCounts(request.em, request.account!.id, program.id),
      programTotals(request.em, request.account!.id, [program.id]),
      recentRuns(request.em, request.account!.id, program.id, { page, status }),
    ]);
    const data = { ...helpers, program, steps, counts, totals: totals.get(program.id) ?? { entered: 0, running: 0, completed: 0, failed: 0 }, runs, page, status, runsPage: RUNS_PAGE };
    // Paging and filtering the runs swaps only their section.
    if (request.headers['hx-target'] === 'runs') return reply.type('text/html; charset=utf-8').send(await reply.viewAsync('automation/programs/_runs', { ...data, user: request.user, account: request.account }));
    return reply.page('automation/programs/show', data, { ...PAGE, title: program.name });
  });

  app.get('/:id/edit', { schema: { params: IdParams } }, async (request, reply) => {
    const program = await loadProgram(request, request.params.id);
    mustEdit(request);
    return programForm(request, reply, program);
  });

  app.post(
    '/:id',
    {
      schema: { params: IdParams, body: ProgramForm },
      errorHandler: formErrors<{ id: string }>(async (request, reply, problem) => programForm(request, reply, await loadProgram(request, request.params.id), problem)),
    },
    async (request, reply) => {
      await updateProgram(request.em, await loadProgram(request, request.params.id), request.body);
      return reply.redirect(`/automation/programs/${request.params.id}`, 303);
    },
  );

  for (const action of ['activate', 'pause'] as const) {
    app.post(`/:id/${action}`, { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
      await changeProgramStatus(request.em, await loadProgram(request, request.params.id), action);
      return reply.redirect(`/automation/programs/${request.params.id}`, 303);
    });
  }

  app.get('/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const program = await loadProgram(request, request.params.id);
    mustEdit(request);
    const totals = (await programTotals(request.em, request.account!.id, [program.id])).get(program.id);
    return reply.page('automation/programs/delete', { program, totals }, { ...PAGE, title: `Delete ${program.name}` });
  });

  app.post('/:id/delete', { schema: { params: IdParams, body: EmptyForm() } }, async (request, reply) => {
    await deleteProgram(request.em, await loadProgram(request, request.params.id));
    return reply.redirect('/automation/programs', 303);
  });

  app.get('/:id/steps/new', { schema: { params: IdParams, querystring: Type.Object({ kind: Type.Optional(Type.Enum([...STEP_KINDS], { type: 'string' })) }) } }, async (request, reply) => {
    const program = await loadProgram(request, request.params.id);
    mustEdit(request);
    return stepForm(request, reply, program, null, request.query.kind ?? 'send_sms');
  });

  app.post(
    '/:id/steps',
    {
      schema: { params: IdParams, body: StepForm },
      errorHandler: formErrors<{ id: string }>(async (request, reply, problem) => {
        const kind = (STEP_KINDS as readonly string[]).includes(problem.values.kind ?? '') ? (problem.values.kind as StepKind) : 'send_sms';
        return stepForm(request, reply, await loadProgram(request, request.params.id), null, kind, problem);
      }),
    },
    async (request, reply) => {
      await addStep(request.em, await loadProgram(request, request.params.id), request.body);
      return reply.redirect(`/automation/programs/${request.params.id}#steps`, 303);
    },
  );

  app.get('/:id/steps/:stepId/edit', { schema: { params: StepParams } }, async (request, reply) => {
    const { program, step } = await loadStep(request, request.params);
    mustEdit(request);
    return stepForm(request, reply, program, step, step.kind);
  });

  app.post(
    '/:id/steps/:stepId',
    {
      schema: { params: StepParams, body: StepForm },
      errorHandler: formErrors<{ id: string; stepId: string }>(async (request, reply, problem) => {
        const { program, step } = await loadStep(request, request.params);
        return stepForm(request, reply, program, step, step.kind, problem);
      }),
    },
    async (request, reply) => {
      const { step } = await loadStep(request, request.params);
      await updateStep(request.em, step, request.body);
      return reply.redirect(`/automation/programs/${request.params.id}#steps`, 303);
    },
  );

  app.post('/:id/steps/:stepId/move', { schema: { params: StepParams, body: Form({ direction: Type.Enum(['up', 'down'], { type: 'string' }) }) } }, async (request, reply) => {
    const { program, step } = await loadStep(request, request.params);
    await moveStep(request.em, program, step, request.body.direction);
    return reply.redirect(`/automation/programs/${request.params.id}#steps`, 303);
  });

  app.post('/:id/steps/:stepId/enabled', { schema: { params: StepParams, body: Form({ enabled: Type.Enum(['on', 'off'], { type: 'string' }) }) } }, async (request, reply) => {
    const { step } = await loadStep(request, request.params);
    await setStepEnabled(request.em, step, request.body.enabled === 'on');
    return reply.redirect(`/automation/programs/${request.params.id}#steps`, 303);
  });

  app.get('/:id/steps/:stepId/delete', { schema: { params: StepParams } }, async (request, reply) => {
    const { program, step } = await loadStep(request, request.params);
    mustEdit(request);
    const counts = countsOf(await stepCounts(request.em, request.account!.id, program.id), step.id);
    return reply.page('automation/programs/step-delete', { ...helpers, program, step, counts }, { ...PAGE, title: `Delete step ${step.position + 1}` });
  });

  app.post('/:id/steps/:stepId/delete', { schema: { params: StepParams, body: EmptyForm() } }, async (request, reply) => {
    const { program, step } = await loadStep(request, request.params);
    await deleteStep(request.em, program, step);
    return reply.redirect(`/automation/programs/${request.params.id}#steps`, 303);
  });
}
