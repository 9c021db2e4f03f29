// The article list: search, filters, pagination, status badges. Filters survive leaving the list.
import { h, field, replace } from '/common/dom.mjs';
import { api, may } from './api.mjs';
import { describeError, formatDateTime, t } from './i18n.mjs';
import { statusBadges } from './badges.mjs';

const PAGE_SIZE = 20;
const filter = { q: '', status: '', category: '', region: '', page: 1 };
/** Regions seen so far, offered as suggestions (the API has no list of regions). */
export const knownRegions = new Set(['全市']);

export function renderArticleList(view, ctx) {
  const q = h('input', { type: 'search', name: 'q', value: filter.q, placeholder: t('list.qPlaceholder') });
  const status = h(
    'select',
    { name: 'status' },
    ['', 'pending_review', 'draft', 'in_review', 'published', 'retired'].map((s) =>
      h('option', { value: s, selected: filter.status === s }, s ? t(`filter.${s}`) : t('filter.allStatus')),
    ),
  );
  const category = h(
    'select',
    { name: 'category' },
    h('option', { value: '' }, t('filter.allCategories')),
    ctx.categories.map((c) => h('option', { value: c.code, selected: filter.category === c.code }, c.name)),
  );
  const regionList = h('datalist', { id: 'region-options' });
  const region = h('input', {
    name: 'region',
    value: filter.region,
    list: 'region-options',
    placeholder: t('filter.anyRegion'),
  });
  const results = h('div', { class: 'results', 'aria-live': 'polite' });

  const load = async () => {
    results.setAttribute('aria-busy', 'true');
    try {
      const page = await api.list({ ...filter, pageSize: PAGE_SIZE });
      for (const item of page.items) knownRegions.add(item.region);
      replace(
        regionList,
        [...knownRegions].map((r) => h('option', { value: r })),
      );
      replace(results, summary(page), table(page.items, ctx), pager(page, load));
    } catch (e) {
      replace(results, h('p', { class: 'form-error', role: 'alert' }, describeError(e)));
    } finally {
      results.removeAttribute('aria-busy');
    }
  };
  const apply = () => {
    Object.assign(filter, {
      q: q.value.trim(),
      status: status.value,
      category: category.value,
      region: region.value.trim(),
      page: 1,
    });
    load();
  };
  status.addEventListener('change', apply);
  category.addEventListener('change', apply);

  replace(
    view,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('nav.articles')),
      may(ctx.session, 'edit') ? h('a', { class: 'button primary', href: '#/new' }, t('list.new')) : null,
    ),
    h(
      'form',
      {
        class: 'filters',
        role: 'search',
        'aria-label': t('list.filters'),
        onsubmit: (event) => {
          event.preventDefault();
          apply();
        },
      },
      field(t('list.q'), q, { wide: true }),
      field(t('filter.status'), status),
      field(t('filter.category'), category),
      field(t('filter.region'), region),
      regionList,
      h(
        'div',
        { class: 'filter-actions' },
        h('button', { type: 'submit', class: 'primary' }, t('list.search')),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => {
              q.value = region.value = status.value = category.value = '';
              apply();
            },
          },
          t('list.reset'),
        ),
      ),
    ),
    results,
  );
  load();
}

function summary(page) {
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  return h('p', { class: 'summary' }, t('list.summary', { total: page.total, page: page.page, pages }));
}

function table(items, ctx) {
  if (items.length === 0) return h('p', { class: 'empty' }, t('list.empty'));
  const columns = ['title', 'id', 'category', 'region', 'status', 'version', 'updatedAt'];
  return h(
    'table',
    { class: 'articles' },
    h('caption', { class: 'visually-hidden' }, t('list.caption')),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col', class: `col-${c}` }, t(`list.col.${c}`))),
      ),
    ),
    h(
      'tbody',
      {},
      items.map((item) =>
        h(
          'tr',
          { dataset: { id: item.id } },
          h(
            'td',
            { class: 'col-title' },
            h('a', { href: `#/articles/${encodeURIComponent(item.id)}`, class: 'title-link' }, item.title),
            h('span', { class: 'question' }, item.question),
          ),
          h('td', { class: 'col-id' }, h('code', {}, item.id)),
          h('td', { class: 'col-category' }, ctx.categoryName(item.category)),
          h('td', { class: 'col-region' }, item.region),
          h('td', { class: 'col-status' }, statusBadges(item.status, item.pending)),
          h('td', { class: 'col-version' }, item.version ? `v${item.version}` : '—'),
          h(
            'td',
            { class: 'col-updatedAt' },
            formatDateTime(item.updatedAt),
            item.updatedBy ? h('span', { class: 'by' }, item.updatedBy) : null,
          ),
        ),
      ),
    ),
  );
}

function pager(page, load) {
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  if (pages <= 1) return null;
  const go = (n) => () => {
    filter.page = n;
    load();
  };
  return h(
    'nav',
    { class: 'pager', 'aria-label': t('list.pages') },
    h(
      'button',
      { type: 'button', class: 'secondary small', disabled: page.page <= 1, onclick: go(page.page - 1) },
      t('list.prev'),
    ),
    h('span', {}, t('list.pageOf', { page: page.page, pages })),
    h(
      'button',
      { type: 'button', class: 'secondary small', disabled: page.page >= pages, onclick: go(page.page + 1) },
      t('list.next'),
    ),
  );
}
