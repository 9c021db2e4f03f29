// 坐席设置: what an agent serves on the desk (queues, skills, languages, how many conversations at once), set
// by a supervisor from the supervisor view. The API answers no reading of another agent's queues, skills
// or languages, so those start empty and stay unchanged unless filled in; capacity starts as it is now.
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
      queueGroup = checkboxGroup(t('agentSettings.queues'), options, { name: 'queues' });
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
  });
  const languages = h('input', { name: 'languages', autocomplete: 'off', spellcheck: 'false', placeholder: 'zh en' });
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
      const settings = {};
      const chosenQueues = queueGroup?.values() ?? [];
      if (chosenQueues.length) settings.queues = chosenQueues;
      const chosenSkills = words(skills.value);
      if (chosenSkills.length) settings.skills = chosenSkills;
      const chosenLanguages = words(languages.value.toLowerCase());
      if (chosenLanguages.some((l) => !LANGUAGE.test(l))) {
        languages.focus();
        throw new Error(t('agentSettings.badLanguage'));
      }
      if (chosenLanguages.length) settings.languages = chosenLanguages;
      const cap = capacity.value.trim();
      if (cap !== initialCapacity) {
        const n = Number(cap);
        if (!Number.isInteger(n) || n < 1 || n > MAX_CAPACITY) {
          capacity.focus();
          throw new Error(t('agentSettings.badCapacity', { max: MAX_CAPACITY }));
        }
        settings.capacity = n;
      }
      if (!Object.keys(settings).length) throw new Error(t('agentSettings.nothing'));
      const saved = await api.configureAgent(agent.username, settings);
      toast(t('agentSettings.saved', { name }));
      return saved;
    },
  });
}
