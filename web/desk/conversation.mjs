// The open conversation: header, transcript with live updates, reply box and actions in the main
// column; context card, knowledge search and ticket form in the right column.
import { h, replace } from '/common/dom.mjs';
import { api } from './api.mjs';
import { renderComposer, typingIndicator } from './composer.mjs';
import { priorityBadge, renderContextCard } from './context-card.mjs';
import { closeDialog, conferenceDialog, evalCaseDialog, inviteDialog, transferDialog } from './dialogs.mjs';
import { describeError, label, t } from './i18n.mjs';
import { renderKnowledgePanel } from './knowledge.mjs';
import { renderTicketForm } from './ticket-form.mjs';
import { Transcript } from './transcript.mjs';

const nameOf = (person) => person?.displayName || person?.username || '';

export class Conversation {
  /** `changed()` asks the desk to refetch its lists (a handoff was taken, handed back, closed…). */
  constructor({ me, main, side, stream, toast, changed }) {
    Object.assign(this, { me, main, side, stream, toast, changed });
    this.loadToken = 0;
    this.view = null;
    this.empty();
  }

  get handoffId() {
    return this.view?.handoff.id ?? null;
  }

  /** The last sequence number seen of a watched conversation (the stream resumes from it). */
  lastSeq(conversationId) {
    return this.view && this.view.handoff.conversationId === conversationId ? this.view.transcript.lastSeq : 0;
  }

  empty() {
    this.leave();
    replace(this.main, h('p', { class: 'placeholder' }, t('conv.empty')));
    replace(this.side);
  }

  leave() {
    if (this.view) this.stream.unwatch(this.view.handoff.conversationId);
    this.view = null;
  }

  /** Opens a handoff; `readOnly` when a supervisor opens someone else's conversation. */
  async open(handoffId, { readOnly = false } = {}) {
    const token = ++this.loadToken;
    this.leave();
    replace(this.main, h('p', { class: 'loading' }, t('conv.loading')));
    replace(this.side);
    let card;
    try {
      card = await api.card(handoffId);
    } catch (e) {
      if (token !== this.loadToken) return;
      this.toast(describeError(e));
      this.empty();
      return;
    }
    if (token !== this.loadToken || !card?.handoff) return;
    this.render(card, readOnly);
  }

  render(card, forcedReadOnly) {
    const handoff = card.handoff;
    const readOnly = Boolean(card.readOnly) || (forcedReadOnly && handoff.agent?.username !== this.me.username);
    const transcript = new Transcript({
      toEval: (activity) => evalCaseDialog(handoff, activity, card.hits?.[0]?.articleId, this.toast),
    });
    const typing = typingIndicator();
    const view = { handoff, readOnly, ended: null, transcript, typing };
    this.view = view;

    const composer = renderComposer({
      toast: this.toast,
      typing: () => api.typing(handoff.id),
      send: async (text) => {
        const sent = await api.send(handoff.id, text);
        // Shown at once when the answer names the activity; the stream's copy is then a duplicate.
        if (typeof sent?.id === 'string' && sent.id.startsWith(`${handoff.conversationId}|`))
          transcript.addLocal({
            id: sent.id,
            type: 'message',
            from: { id: this.me.username, name: this.me.displayName, role: 'agent' },
            text,
            timestamp: new Date().toISOString(),
          });
      },
    });
    const button = (text, className, onclick) =>
      h('button', { type: 'button', class: className, onclick: () => this.run(onclick) }, text);
    view.actions = h(
      'div',
      { class: 'action-bar', role: 'toolbar', 'aria-label': t('action.bar') },
      button(t('action.transfer'), 'secondary', () => this.transfer()),
      button(t('action.invite'), 'secondary', () =>
        // A phone call brings the department in by a conference leg; text channels by an invite link.
        view.handoff.channelId === 'voice'
          ? conferenceDialog(view.handoff, { toast: this.toast })
          : inviteDialog(view.handoff, { toast: this.toast, created: (invite) => view.card.addInvite(invite) }),
      ),
      button(t('action.handBack'), 'secondary', () => this.handBack()),
      button(t('action.close'), 'danger', () => this.closeConversation()),
    );
    view.consultBar = h(
      'div',
      { class: 'consult-bar' },
      h('span', { class: 'consult-who' }),
      button(t('action.consultComplete'), 'primary small', () => this.consult('complete')),
      button(t('action.consultCancel'), 'secondary small', () => this.consult('cancel')),
    );
    view.composer = composer;
    view.head = h('header', { class: 'conv-head' });
    view.notice = h('p', { class: 'notice', role: 'status', hidden: true });
    replace(
      this.main,
      h(
        'section',
        { class: 'conversation', 'aria-labelledby': 'conv-title' },
        view.head,
        view.notice,
        view.consultBar,
        transcript.el,
        typing.el,
        composer.el,
        view.actions,
      ),
    );

    const owner = handoff.agent?.username === this.me.username;
    const consultant = handoff.consultant?.username === this.me.username;
    view.card = renderContextCard(card, { canNote: owner || consultant, toast: this.toast });
    view.ticket = renderTicketForm({
      handoffId: handoff.id,
      draft: card.draft,
      tickets: card.tickets,
      readOnly,
      toast: this.toast,
    });
    replace(
      this.side,
      view.card.el,
      renderKnowledgePanel({ insert: readOnly ? null : (text) => composer.insert(text) }),
      view.ticket.el,
    );

    transcript.add(card.transcript ?? []);
    this.applyState();
    this.stream.watch(handoff.conversationId);
  }

  /** Shows what this agent may do now: the header, the banner, the reply box and the action buttons. */
  applyState() {
    const view = this.view;
    if (!view) return;
    const { handoff, readOnly } = view;
    const ended = view.ended ?? (handoff.status === 'closed' ? 'conv.ended' : null);
    const canAct = !readOnly && !ended && handoff.status === 'active';
    replace(
      view.head,
      h('h2', { id: 'conv-title' }, handoff.citizen?.name || t('from.user')),
      priorityBadge(handoff.priority),
      h('span', { class: 'channel' }, label('channel', handoff.channelId)),
      h('span', { class: ['badge', `status-${handoff.status}`] }, label('status', handoff.status)),
      handoff.agent ? h('span', { class: 'muted' }, t('conv.withAgent', { name: nameOf(handoff.agent) })) : null,
    );
    const consulting = handoff.consultant?.username === this.me.username;
    const readOnlyNotice = consulting ? t('conv.consulting') : t('conv.readOnly');
    view.notice.textContent = ended ? t(ended) : readOnly ? readOnlyNotice : '';
    view.notice.hidden = !view.notice.textContent;
    view.notice.classList.toggle('ended', Boolean(ended));
    view.composer.el.hidden = !canAct;
    view.actions.hidden = !canAct;
    const involved = [handoff.agent?.username, handoff.consultant?.username].includes(this.me.username);
    view.consultBar.hidden = !handoff.consultant || Boolean(ended) || !involved;
    if (handoff.consultant)
      view.consultBar.querySelector('.consult-who').textContent = t('conv.consultant', {
        name: nameOf(handoff.consultant),
      });
    view.card.updateHandoff(handoff);
  }

  /** Runs an action, showing a refusal in the toast. */
  async run(action) {
    try {
      await action();
    } catch (e) {
      this.toast(describeError(e));
    }
  }

  /** After an action answered the handoff: the view follows, the lists are refetched. */
  settle(handoff, ended) {
    if (!this.view) return;
    if (handoff?.id === this.view.handoff.id) this.view.handoff = { ...this.view.handoff, ...handoff };
    if (ended) this.view.ended = ended;
    this.applyState();
    this.changed();
  }

  async transfer() {
    const view = this.view;
    const result = await transferDialog(view.handoff, this.me);
    if (!result || view !== this.view) return;
    if (result.mode === 'consult') {
      this.toast(t('transfer.consultStarted'));
      this.settle(result.handoff);
    } else {
      this.toast(t('transfer.done'));
      this.settle(result.handoff, 'conv.transferred');
    }
  }

  async handBack() {
    const handoff = await api.handBack(this.view.handoff.id);
    this.settle(handoff, 'conv.handedBack');
  }

  async closeConversation() {
    const view = this.view;
    const handoff = await closeDialog(view.handoff, { hasTicket: view.ticket.hasTicket() });
    if (handoff && view === this.view) this.settle(handoff, 'conv.ended');
  }

  async consult(action) {
    const id = this.view.handoff.id;
    const handoff = await (action === 'complete' ? api.consultComplete(id) : api.consultCancel(id));
    this.settle(handoff);
    await this.refresh();
  }

  /** Refetches the card to follow changes made elsewhere (a transfer, a supervisor, the citizen leaving). */
  async refresh() {
    const view = this.view;
    if (!view) return;
    let card;
    try {
      card = await api.card(view.handoff.id);
    } catch {
      return;
    }
    if (view !== this.view || !card?.handoff) return;
    const wasReadOnly = view.readOnly;
    view.handoff = card.handoff;
    view.readOnly = Boolean(card.readOnly);
    // Becoming the owner (a completed consult) or losing the conversation changes the whole view.
    if (wasReadOnly !== view.readOnly && !view.ended) return this.render(card, false);
    view.transcript.add(card.transcript ?? []);
    for (const note of card.notes ?? []) view.card.addNote(note);
    this.applyState();
  }

  /** Stream messages for this conversation. */
  activities(conversationId, activities) {
    const view = this.view;
    if (!view || view.handoff.conversationId !== conversationId) return;
    const added = view.transcript.add(activities);
    if (added.some((a) => a.from?.role === 'user')) view.typing.hide();
    if (activities?.some?.((a) => a?.type === 'typing' && this.isOtherParty(a.from))) view.typing.show();
  }

  typing(conversationId, from) {
    const view = this.view;
    if (view && view.handoff.conversationId === conversationId && this.isOtherParty(from)) view.typing.show();
  }

  isOtherParty(from) {
    return !(from?.role === 'agent' && (from.id === this.me.username || from.name === this.me.displayName));
  }

  note(handoffId, note) {
    if (this.view?.handoff.id === handoffId) this.view.card.addNote(note);
  }
}
