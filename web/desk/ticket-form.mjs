// The ticket (工单) form: prefilled from what the assistant drafted, registered by the agent, then
// dispatched to the department that handles its category.
import { h, field, replace } from '/common/dom.mjs';
import { api } from './api.mjs';
import { describeError, formatDateTime, label, t } from './i18n.mjs';

export const DEMAND_TYPES = ['consultation', 'help', 'complaint', 'report', 'suggestion', 'praise'];

/** One registered ticket of this conversation: number, status, department, and 派单 while registered. */
function ticketResult(ticket, { readOnly, toast }) {
  const status = h('span', { class: 'ticket-status' }, label('ticketStatus', ticket.status));
  const department = h('span', { class: 'ticket-department' }, ticket.department ?? '—');
  const deadline = h('span', {}, formatDateTime(ticket.deadlineAt));
  const dispatch =
    !readOnly && ticket.status === 'registered'
      ? h(
          'button',
          {
            type: 'button',
            class: 'primary small',
            onclick: async () => {
              dispatch.disabled = true;
              try {
                const next = await api.dispatch(ticket.number);
                Object.assign(ticket, next ?? {});
                status.textContent = label('ticketStatus', ticket.status);
                department.textContent = ticket.department ?? '—';
                deadline.textContent = formatDateTime(ticket.deadlineAt);
                dispatch.remove();
                toast(`${t('ticket.dispatched')}：${ticket.department ?? ''}`);
              } catch (e) {
                dispatch.disabled = false;
                toast(describeError(e));
              }
            },
          },
          t('ticket.dispatch'),
        )
      : null;
  return h(
    'div',
    { class: 'ticket-result' },
    h(
      'dl',
      { class: 'facts' },
      h(
        'div',
        { class: 'fact' },
        h('dt', {}, t('ticket.number')),
        h('dd', { class: 'ticket-number mono' }, ticket.number ?? ''),
      ),
      h('div', { class: 'fact' }, h('dt', {}, t('ticket.status')), h('dd', {}, status)),
      h('div', { class: 'fact' }, h('dt', {}, t('ticket.department')), h('dd', {}, department)),
      h('div', { class: 'fact' }, h('dt', {}, t('ticket.deadline')), h('dd', {}, deadline)),
    ),
    dispatch,
  );
}

/**
 * The 工单 section. `draft` prefills it; `tickets` are the ones this conversation already registered.
 * `registered(ticket)` tells the conversation (the close dialog then suggests the 已登记工单 disposition).
 */
export function renderTicketForm({ handoffId, draft, tickets, readOnly, toast, registered }) {
  const d = draft ?? {};
  const control = (tag, name, props = {}) =>
    h(tag, { name, value: d[name] ?? '', disabled: readOnly, autocomplete: 'off', ...props });
  const demandType = h(
    'select',
    { name: 'demandType', disabled: readOnly },
    DEMAND_TYPES.map((type) => h('option', { value: type, selected: type === d.demandType }, label('demand', type))),
  );
  if (!DEMAND_TYPES.includes(d.demandType)) demandType.value = 'consultation';
  const inputs = {
    demandType,
    categoryCode: control('input', 'categoryCode', { maxlength: 20 }),
    description: control('textarea', 'description', { rows: 4, maxlength: 4000 }),
    name: control('input', 'name', { maxlength: 100 }),
    phone: control('input', 'phone', { type: 'tel', maxlength: 30 }),
    district: control('input', 'district', { maxlength: 100 }),
    address: control('input', 'address', { maxlength: 500 }),
  };

  const results = h('div', { class: 'ticket-results', 'aria-live': 'polite' });
  const list = [...(tickets ?? [])];
  const button = h('button', { type: 'submit', class: 'primary' }, t('ticket.register'));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const showTickets = () => {
    replace(
      results,
      list.map((ticket) => ticketResult(ticket, { readOnly, toast })),
    );
    button.hidden = readOnly || list.length > 0;
  };
  showTickets();

  const form = h(
    'form',
    {
      class: 'ticket-form',
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        if (readOnly) return;
        error.textContent = '';
        if (!inputs.description.value.trim()) {
          error.textContent = t('ticket.descriptionRequired');
          inputs.description.focus();
          return;
        }
        const body = {};
        for (const [key, input] of Object.entries(inputs)) body[key] = input.value.trim();
        if (d.occurred) body.occurred = d.occurred;
        if (d.organisation) body.organisation = d.organisation;
        button.disabled = true;
        try {
          const ticket = await api.registerTicket(handoffId, body);
          list.push(ticket);
          showTickets();
          toast(t('ticket.registered', { number: ticket?.number ?? '' }));
          registered?.(ticket);
        } catch (e) {
          error.textContent = describeError(e);
        } finally {
          button.disabled = false;
        }
      },
    },
    h(
      'div',
      { class: 'ticket-fields' },
      field(t('ticket.demandType'), inputs.demandType),
      field(t('ticket.categoryCode'), inputs.categoryCode),
      field(t('ticket.description'), inputs.description, { wide: true }),
      field(t('ticket.name'), inputs.name),
      field(t('ticket.phone'), inputs.phone),
      field(t('ticket.district'), inputs.district),
      field(t('ticket.address'), inputs.address, { wide: true }),
    ),
    error,
    button,
  );

  return {
    el: h('section', { class: 'panel ticket-panel' }, h('h2', {}, t('ticket.title')), form, results),
    hasTicket: () => list.length > 0,
  };
}
