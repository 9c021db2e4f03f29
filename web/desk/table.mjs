// A captioned data table for the supervisor view and the accounts: headers, then rows of cells (text or
// nodes); "none" in a single cell when there are no rows.
import { h } from '/common/dom.mjs';
import { t } from './i18n.mjs';

export function table(caption, headers, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((text) => h('th', { scope: 'col' }, text)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((cells) =>
              h(
                'tr',
                {},
                cells.map((cell) => h('td', {}, cell)),
              ),
            )
          : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, t('list.empty'))),
      ),
    ),
  );
}
