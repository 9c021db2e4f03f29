/* global document, location, localStorage, WebSocket, setTimeout, clearTimeout */
// The department invite page (/join/<token>): staff of a department join a citizen's conversation with the
// agent. No staff session: the token in the address is the credential. Every text from the conversation
// becomes a text node, never markup.
import { h, enterSubmits, field, submitText } from '/common/dom.mjs';
import { browserLocale, localized } from '/common/i18n.mjs';
import { request } from '/common/request.mjs';

const zh = {
  title: '三方通话',
  privateTitle: '内部会商',
  privateHint: 'Enter 发送，Shift+Enter 换行。内部会商：您的留言只有坐席能看到，不会发给市民。',
  notes: '会商留言',
  hotline: '12345 政务服务便民热线',
  loading: '正在加载…',
  department: '受邀部门',
  citizen: '市民',
  expires: '有效期至',
  transcript: '会话记录',
  name: '您的姓名',
  message: '消息',
  send: '发送',
  hint: 'Enter 发送，Shift+Enter 换行。消息将发送给市民，坐席也能看到。',
  expired: '邀请链接已过期',
  invalid: '邀请链接无效',
  expiredDetail: '请联系 12345 坐席重新发送邀请。',
  failed: '加载失败，请稍后刷新重试。',
  sendFailed: '发送失败：',
  offline: '实时连接已断开，正在重连…',
  'from.user': '市民',
  'from.bot': '智能助手',
  'from.agent': '坐席',
  'from.department': '部门',
  attachment: '附件',
};
const en = {
  title: 'Three-way conversation',
  privateTitle: 'Private consultation',
  privateHint:
    'Enter sends, Shift+Enter for a new line. Private: only the agents see what you write, never the citizen.',
  notes: 'Notes to the agents',
  hotline: '12345 Government Service Hotline',
  loading: 'Loading…',
  department: 'Invited department',
  citizen: 'Citizen',
  expires: 'Valid until',
  transcript: 'Transcript',
  name: 'Your name',
  message: 'Message',
  send: 'Send',
  hint: 'Enter sends, Shift+Enter for a new line. Messages go to the citizen; the agent sees them too.',
  expired: 'This invite link has expired',
  invalid: 'This invite link is not valid',
  expiredDetail: 'Please ask the 12345 agent for a new invite.',
  failed: 'Could not load; please reload later.',
  sendFailed: 'Not sent: ',
  offline: 'Live connection lost; reconnecting…',
  'from.user': 'Citizen',
  'from.bot': 'Assistant',
  'from.agent': 'Agent',
  'from.department': 'Department',
  attachment: 'Attachment',
};
const locale = browserLocale();
document.documentElement.lang = locale;
const { t, formatDateTime, formatTime } = localized({ 'zh-CN': zh, en }, () => locale);

const app = document.getElementById('app');
const token = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const base = `/api/join/${encodeURIComponent(token)}`;

/** The whole page becomes a notice: the invite expired, is unknown, or the page could not load. */
function showProblem(status) {
  stopStream();
  const title = status === 410 ? t('expired') : status === 404 ? t('invalid') : t('failed');
  showPage(
    h(
      'main',
      { class: 'problem' },
      h('span', { class: 'logo' }, '12345'),
      h('h1', {}, title),
      status === 410 ? h('p', {}, t('expiredDetail')) : null,
    ),
  );
  document.title = `${title} · ${t('hotline')}`;
}

function showPage(...children) {
  app.replaceChildren(...children);
  app.removeAttribute('aria-busy');
}

const ROLES = new Set(['user', 'bot', 'agent', 'department']);
const seen = new Set();
const list = h('ol', { class: 'transcript' });
const scroller = h('div', { class: 'transcript-scroll', tabindex: '0', 'aria-label': t('transcript') }, list);

function addActivities(activities) {
  if (!Array.isArray(activities)) return;
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  let added = 0;
  for (const a of activities) {
    if (!a || a.id == null || seen.has(String(a.id))) continue;
    seen.add(String(a.id));
    if (a.type !== undefined && a.type !== 'message') continue;
    const hasAttachments = Array.isArray(a.attachments) && a.attachments.length > 0;
    if (!a.text && !hasAttachments) continue;
    const role = ROLES.has(a.from?.role) ? a.from.role : 'bot';
    const who = t(`from.${role}`);
    const sender = role !== 'bot' && a.from?.name ? `${a.from.name} · ${who}` : who;
    list.append(
      h(
        'li',
        { class: ['msg', `from-${role}`] },
        h(
          'div',
          { class: 'msg-head' },
          h('span', { class: 'msg-from' }, sender),
          h('time', { class: 'msg-time', datetime: a.timestamp ?? null }, formatTime(a.timestamp)),
        ),
        a.text ? h('div', { class: 'msg-text' }, String(a.text)) : null,
        hasAttachments ? h('div', { class: 'msg-attachment' }, `[${t('attachment')}]`) : null,
      ),
    );
    added++;
  }
  if (added && (atBottom || list.children.length === added)) scroller.scrollTop = scroller.scrollHeight;
}

// A private consultation: notes between the department and the agents, shown apart from the transcript.
const notes = h('ol', { class: 'notes', 'aria-label': t('notes') });
const noteKeys = new Set();
function addNotes(list) {
  for (const note of Array.isArray(list) ? list : []) {
    const key = `${note?.at}|${note?.author}|${note?.text}`;
    if (!note?.text || noteKeys.has(key)) continue;
    noteKeys.add(key);
    notes.append(
      h(
        'li',
        { class: 'note' },
        h('span', { class: 'msg-from' }, `${note.author ?? ''} · ${formatTime(note.at)}`),
        h('div', { class: 'msg-text' }, String(note.text)),
      ),
    );
  }
}

// The live stream: reconnects with backoff; each reconnect reloads the transcript to fill the gap.
let socket = null;
let stopped = false;
let delay = 1000;
let retryTimer;
let offline;
let everOpened = false;

function stopStream() {
  stopped = true;
  clearTimeout(retryTimer);
  if (socket) {
    socket.onclose = null;
    socket.close();
    socket = null;
  }
}

function connect() {
  if (stopped) return;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${base}/stream`);
  socket = ws;
  ws.onopen = () => {
    delay = 1000;
    if (offline) offline.hidden = true;
    // What was said while the connection was down comes with the transcript.
    if (everOpened) reload();
    everOpened = true;
  };
  ws.onmessage = (event) => {
    try {
      const data = JSON.parse(event.data);
      if (data?.type === 'activities') addActivities(data.activities);
      if (data?.type === 'note') addNotes([data.note]);
    } catch {
      // Not JSON: ignored.
    }
  };
  ws.onclose = () => {
    if (socket !== ws || stopped) return;
    socket = null;
    if (offline) offline.hidden = false;
    retryTimer = setTimeout(connect, delay * (0.75 + Math.random() * 0.5));
    delay = Math.min(delay * 2, 30_000);
    // The invite may have expired meanwhile: the reload then says so.
    reload();
  };
}

async function reload() {
  try {
    const invite = await request('GET', base);
    addActivities(invite?.transcript);
    addNotes(invite?.notes);
  } catch (e) {
    if (e.status === 410 || e.status === 404) showProblem(e.status);
  }
}

function readName() {
  try {
    return localStorage.getItem('minsheng.join.name') ?? '';
  } catch {
    return '';
  }
}
function saveName(name) {
  try {
    localStorage.setItem('minsheng.join.name', name);
  } catch {
    // Private mode: remembered for this page only.
  }
}

function render(invite) {
  const name = h('input', { id: 'join-name', name: 'name', autocomplete: 'name', maxlength: 100, value: readName() });
  const message = h('textarea', { id: 'join-message', name: 'message', rows: 3, maxlength: 4000 });
  const button = h('button', { type: 'submit', class: 'primary' }, t('send'));
  const error = h('p', { class: 'form-error', role: 'alert' });
  offline = h('p', { class: 'offline', role: 'status', hidden: true }, t('offline'));
  const form = h(
    'form',
    {
      class: 'composer',
      onsubmit: submitText(message, button, async (text) => {
        error.textContent = '';
        const who = name.value.trim();
        saveName(who);
        try {
          const sent = await request('POST', `${base}/messages`, who ? { text, name: who } : { text });
          message.value = '';
          if (sent?.note) addNotes([sent.note]);
          if (typeof sent?.id === 'string' && sent.id.includes('|'))
            addActivities([
              {
                id: sent.id,
                type: 'message',
                from: { name: who, role: 'department' },
                text,
                timestamp: new Date().toISOString(),
              },
            ]);
        } catch (e) {
          if (e.status === 410 || e.status === 404) return showProblem(e.status);
          // An unreachable server sends no message: the live connection is down then as well.
          error.textContent = `${t('sendFailed')}${e.message || t('offline')}`;
        }
      }),
    },
    field(t('name'), name),
    field(t('message'), message, { hint: t(invite?.private ? 'privateHint' : 'hint') }),
    error,
    h('div', { class: 'composer-actions' }, button),
  );
  // Required only now: the label's text stays exactly the field's name, with no required mark.
  message.required = true;
  enterSubmits(message, form);

  showPage(
    h(
      'header',
      { class: 'topbar' },
      h('span', { class: 'logo', 'aria-hidden': 'true' }, '12345'),
      h('span', {}, t('hotline')),
    ),
    offline,
    h(
      'main',
      { class: 'join' },
      h('h1', {}, t(invite?.private ? 'privateTitle' : 'title')),
      h(
        'dl',
        { class: 'facts' },
        h('div', {}, h('dt', {}, t('department')), h('dd', { class: 'department' }, invite?.department ?? '')),
        invite?.citizenName ? h('div', {}, h('dt', {}, t('citizen')), h('dd', {}, invite.citizenName)) : null,
        invite?.expiresAt
          ? h('div', {}, h('dt', {}, t('expires')), h('dd', {}, formatDateTime(invite.expiresAt)))
          : null,
      ),
      scroller,
      invite?.private ? h('section', { class: 'notes-panel' }, h('h2', {}, t('notes')), notes) : null,
      form,
    ),
  );
  addNotes(invite?.notes);
  document.title = `${t(invite?.private ? 'privateTitle' : 'title')} · ${invite?.department ?? ''} · ${t('hotline')}`;
  addActivities(invite?.transcript);
  message.focus({ preventScroll: true });
}

async function start() {
  if (!token || token === 'join') return showProblem(404);
  let invite;
  try {
    invite = await request('GET', base);
  } catch (e) {
    return showProblem(e.status === 410 || e.status === 404 ? e.status : 0);
  }
  render(invite);
  connect();
}

start();
