/** Citizen-facing text. zh-CN is the default; en is the second language. */
export type Locale = 'zh-CN' | 'en';

const MESSAGES = {
  'zh-CN': {
    welcome:
      '您好，这里是12345政务服务便民热线在线服务。请直接描述您要咨询或反映的事项，例如“社保卡丢了怎么补办”。如遇火灾、治安、急救或交通事故等紧急情况，请立即拨打119、110、120或122。',
    answerSource: (source: string) => `（来源：${source}）`,
    askHelpful: '以上答复是否解决了您的问题？',
    whichOne: '您是想咨询以下哪个问题？请点选，或换个说法补充细节。',
    noAnswer:
      '抱歉，我暂时没有找到与您的问题相符的答复。您可以换个说法再问一次，或者补充更多细节（事项、地点、时间）。',
    noAnswerAgain: '仍然没有找到合适的答复。您可以输入“人工”转接人工坐席，或输入“登记”由我为您登记工单。',
    helpfulYes: '已解决',
    helpfulNo: '没有解决',
    thanks: '感谢您的反馈，祝您生活愉快！如还有其他问题，欢迎随时咨询。',
    notHelped: '很抱歉没能帮到您。您可以补充更多细节再问一次，也可以输入“人工”转接人工坐席，或输入“登记”为您登记工单。',
    emptyMessage: '请用文字描述您的问题，我们会尽快为您解答。',
    unsupported: '目前在线服务只能处理文字消息，请用文字描述您的问题。',
  },
  en: {
    welcome:
      'Hello, this is the 12345 government service hotline online service. Please describe what you would like to ask or report. In an emergency (fire, crime, medical, traffic accident) call 119, 110, 120 or 122 now.',
    answerSource: (source: string) => ` (Source: ${source})`,
    askHelpful: 'Did this answer your question?',
    whichOne: 'Which of these do you mean? Pick one, or rephrase with more detail.',
    noAnswer:
      'Sorry, I could not find an answer that matches your question. Please try rephrasing it or add details (what, where, when).',
    noAnswerAgain: 'Still no matching answer. Type "agent" to talk to a person, or "ticket" to register a case.',
    helpfulYes: 'Yes, solved',
    helpfulNo: 'No',
    thanks: 'Thank you for your feedback. Feel free to ask if you have other questions.',
    notHelped:
      'Sorry that did not help. Add more details and ask again, type "agent" to talk to a person, or "ticket" to register a case.',
    emptyMessage: 'Please describe your question in text and we will answer shortly.',
    unsupported: 'The online service handles text messages only. Please describe your question in text.',
  },
} as const;

export type Messages = {
  [K in keyof (typeof MESSAGES)['zh-CN']]: (typeof MESSAGES)['zh-CN'][K] extends string
    ? string
    : (typeof MESSAGES)['zh-CN'][K];
};

export function resolveLocale(requested: string | null | undefined): Locale {
  return requested?.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

export const messagesFor = (locale: Locale): Messages => MESSAGES[locale] as Messages;
