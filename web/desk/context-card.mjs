// The context card: why the citizen came to an agent, what the assistant already found out (ticket draft,
// knowledge hits), the citizen's earlier tickets, private notes and department invites.
import { h, field, replace, submitText } from '/common/dom.mjs';
import { api } from './api.mjs';
import { describeError, formatDateTime, label, t } from './i18n.mjs';

export const score = (value) => (Number.isFinite(Number(value)) && value !== null ? Number(value).toFixed(2) : '—');

/** A definition list of the pairs whose value is present. */
function facts(pairs, className = 'facts') {
  const rows = pairs.filter(([, value]) => value !== undefined && value !== null && value !== '');
  return h(
    'dl',
    { class: className },
    rows.map(([term, value]) => h('div', { class: 'fact' }, h('dt', {}, term), h('dd', {}, String(value)))),
  );
}

export const priorityBadge = (priority) =>
  h('span', { class: ['badge', `prio-${priority ?? 'normal'}`] }, label('priority', priority ?? 'normal'));

function summaryFacts(handoff) {
  return facts([
    [t('card.citizen'), handoff.citizen?.name],
    [t('card.reason'), label('reason', handoff.reason)],
    [t('card.priority'), label('priority', handoff.priority)],
    [t('card.channel'), label('channel', handoff.channelId)],
    [t('card.queue'), handoff.queue],
    [t('card.queuedAt'), handoff.queuedAt ? formatDateTime(handoff.queuedAt) : null],
    [t('ticket.status'), label('status', handoff.status)],
    [t('transfer.agentLabel'), handoff.agent?.displayName ?? handoff.agent?.username],
    [t('list.consulting'), handoff.consultant?.displayName ?? handoff.consultant?.username],
  ]);
}

function draftFacts(draft) {
  if (!draft) return h('p', { class: 'empty' }, t('card.noDraft'));
  return facts([
    [t('ticket.demandType'), draft.demandType ? label('demand', draft.demandType) : null],
    [t('ticket.categoryCode'), draft.categoryCode],
    [t('ticket.description'), draft.description],
    [t('ticket.name'), draft.name],
    [t('ticket.phone'), draft.phone],
    [t('ticket.district'), draft.district],
    [t('ticket.address'), draft.address],
    [t('draft.occurred'), draft.occurred],
    [t('draft.organisation'), draft.organisation],
  ]);
}

function hitList(hits) {
  if (!hits?.length) return h('p', { class: 'empty' }, t('card.noHits'));
  return h(
    'ol',
    { class: 'card-hits' },
    hits.map((hit) =>
      h(
        'li',
        {},
        h('span', { class: 'hit-title' }, hit.title ?? hit.articleId ?? ''),
        h('span', { class: 'score' }, score(hit.score)),
        hit.question ? h('span', { class: 'hit-question' }, hit.question) : null,
      ),
    ),
  );
}

export function ticketLine(ticket) {
  return h(
    'li',
    { class: 'ticket-line' },
    h(
      'div',
      { class: 'ticket-line-head' },
      h('span', { class: 'mono' }, ticket.number ?? ''),
      h('span', { class: 'badge' }, label('ticketStatus', ticket.status)),
    ),
    h('div', { class: 'muted' }, [label('demand', ticket.demandType), formatDateTime(ticket.registeredAt)].join(' · ')),
    ticket.description ? h('div', { class: 'ticket-desc' }, ticket.description) : null,
  );
}

const noteItem = (note) =>
  h(
    'li',
    { class: 'note' },
    h('div', { class: 'muted' }, `${note?.author ?? ''} · ${formatDateTime(note?.at)}`),
    h('div', { class: 'note-text' }, note?.text ?? ''),
  );

const inviteItem = (invite) =>
  h(
    'li',
    {},
    h('span', {}, invite.department ?? ''),
    ' ',
    h(
      'span',
      { class: 'muted' },
      invite.revoked ? t('card.revoked') : t('invite.expires', { at: formatDateTime(invite.expiresAt) }),
    ),
  );

const section = (title, ...children) => h('section', { class: 'card-section' }, h('h3', {}, title), children);

/**
 * The card for a ContextCard. `canNote`: the owner or the consultant may add notes. Answers the element
 * and updaters for what arrives later (notes over the stream, new invites, a changed handoff).
 */
export function renderContextCard(card, { canNote, toast }) {
  const handoff = card.handoff ?? {};
  const summary = h('div', {}, summaryFacts(handoff));
  const notes = h('ul', { class: 'notes' }, (card.notes ?? []).map(noteItem));
  const noNotes = h('p', { class: 'empty' }, t('card.noNotes'));
  const invites = h('ul', { class: 'invites' }, (card.invites ?? []).map(inviteItem));
  const invitesSection = section(t('card.invites'), invites);
  invitesSection.hidden = !card.invites?.length;
  const seenNotes = new Set((card.notes ?? []).map((n) => `${n.author}|${n.at}|${n.text}`));
  const syncEmpty = () => {
    noNotes.hidden = notes.children.length > 0;
  };
  syncEmpty();

  const addNote = (note) => {
    const key = `${note?.author}|${note?.at}|${note?.text}`;
    if (!note || seenNotes.has(key)) return;
    seenNotes.add(key);
    notes.append(noteItem(note));
    syncEmpty();
  };

  let noteForm = null;
  if (canNote) {
    const input = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
    const button = h('button', { type: 'submit', class: 'secondary small' }, t('card.addNote'));
    noteForm = h(
      'form',
      {
        class: 'note-form',
        onsubmit: submitText(input, button, async (text) => {
          try {
            addNote(await api.note(handoff.id, text));
            input.value = '';
          } catch (e) {
            toast(describeError(e));
          }
        }),
      },
      field(t('card.noteInput'), input),
      button,
    );
  }

  const el = h(
    'aside',
    { class: 'context-card', 'aria-label': t('card.title') },
    section(t('card.title'), summary),
    section(t('card.draft'), draftFacts(card.draft)),
    section(t('card.hits'), hitList(card.hits)),
    section(
      t('card.previousTickets'),
      card.previousTickets?.length
        ? h('ul', { class: 'tickets' }, card.previousTickets.map(ticketLine))
        : h('p', { class: 'empty' }, t('card.noTickets')),
    ),
    section(t('card.notes'), notes, noNotes, noteForm),
    invitesSection,
  );

  return {
    el,
    addNote,
    addInvite(invite) {
      invites.append(inviteItem(invite));
      invitesSection.hidden = false;
    },
    updateHandoff: (next) => replace(summary, summaryFacts(next)),
  };
}
