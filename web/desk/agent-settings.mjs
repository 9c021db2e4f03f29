// 坐席设置: what an agent serves on the desk (queues, skills, languages, how many conversations at once), set
// by a supervisor from the supervisor view. The form starts with the agent's settings as they are now and
// saves what it shows.
import { h, field } from '/common/dom.mjs';
import { api } from './api.mjs';
import { checkboxGroup, words } from './choices.mjs';
import { modal } from './dialogs.mjs';
import { describeError, t } from './i18n.mjs';

const LANGUAGE = /^[a-z]{2,3}$/;
const MAX_CAPACITY = 50;

/**
 * Opens the settings of `agent` (a row of GET /api/desk/agents). Only what was filled in is sent; `toast`
 * tells of the save. Resolves to the saved settings, or null when cancelled.
 */
export function agentSettingsDialog(agent, { toast }) {
  const name = agent.displayName || agent.username;
  const queues = h('div', { class: 'queue-choices' }, h('p', { class: 'muted' }, t('agentSettings.loading')));
  let queueGroup = null;
  api
    .queues()
    .then((answer) => {
      const options = (answer?.queues ?? []).map((q) => ({ value: q, text: q }));
      queueGroup = checkboxGroup(t('agentSettings.queues'), options, {
        name: 'queues',
        checked: Array.isArray(agent.queues) ? agent.queues : [],
      });
      queues.replaceChildren(queueGroup.el);
    })
    .catch((e) => {
      queues.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
    });

  const skills = h('input', {
    name: 'skills',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'category:05 category:01.05',
    value: (agent.skills ?? []).join(' '),
  });
  const languages = h('input', {
    name: 'languages',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'zh en',
    value: (agent.languages ?? []).join(' '),
  });
  const initialCapacity = Number.isInteger(agent.capacity) ? String(agent.capacity) : '';
  const capacity = h('input', {
    name: 'capacity',
    type: 'number',
    min: 1,
    max: MAX_CAPACITY,
    step: 1,
    inputmode: 'numeric',
    value: initialCapacity,
  });

  return modal({
    title: t('agentSettings.title', { name }),
    body: [
      queues,
      field(t('agentSettings.skills'), skills, { hint: t('agentSettings.skillsHint') }),
      field(t('agentSettings.languages'), languages, { hint: t('agentSettings.languagesHint') }),
      field(t('agentSettings.capacity'), capacity),
      h('p', { class: 'hint' }, t('agentSettings.hint')),
    ],
    confirmLabel: t('agentSettings.save'),
    confirm: async () => {
      const settings = { skills: words(skills.value) };
      // Queues not loaded (an error above): left as they are.
      if (queueGroup) settings.queues = queueGroup.values();
      const chosenLanguages = words(languages.value.toLowerCase());
      if (!chosenLanguages.length || chosenLanguages.some((l) => !LANGUAGE.test(l))) {
        languages.focus();
        throw new Error(t('agentSettings.badLanguage'));
      }
      settings.languages = chosenLanguages;
      const n = Number(capacity.value.trim());
      if (!Number.isInteger(n) || n < 1 || n > MAX_CAPACITY) {
        capacity.focus();
        throw new Error(t('agentSettings.badCapacity', { max: MAX_CAPACITY }));
      }
      settings.capacity = n;
      const saved = await api.configureAgent(agent.username, settings);
      toast(t('agentSettings.saved', { name }));
      return saved;
    },
  });
}
