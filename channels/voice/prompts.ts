/** What the voice channel itself says (the assistant's replies come through the conversation). */
const PROMPTS = {
  'zh-CN': {
    greeting:
      '您好，这里是12345政务服务便民热线智能语音助手。请在提示音后直接说出您要咨询或反映的事项。如遇火灾、治安、急救或交通事故，请挂机后拨打119、110、120或122。转人工服务请按0。',
    notHeard: '抱歉，我没有听清，请您再说一遍。',
    stillThere: '您好，请问您还在线吗？请直接说出您的问题。',
    goodbye: '感谢您的来电，再见。',
    busy: '您好，智能语音助手线路繁忙，正在为您转接人工服务，请稍候。',
    timeUp: '本次通话时间已较长，如有其他问题请再次来电。再见。',
    recognitionDown: '抱歉，语音识别暂时出现故障，正在为您转接人工服务，请稍候。',
    transferFailed: '抱歉，暂时无法为您转接，请稍后再拨12345，或通过微信公众号留言。',
    emergencyBridgeFailed: (number: string) => `无法为您自动接通，请您立即挂断电话，直接拨打${number}。`,
    /** What a caller pressing 0 is taken to say. */
    dtmfHuman: '转人工',
    options: (titles: string[]) => `您可以说：${titles.join('；')}。`,
  },
  en: {
    greeting:
      'Hello, this is the 12345 government service hotline voice assistant. Please say what you would like to ask or report. In an emergency, hang up and call 119, 110, 120 or 122. Press 0 for an agent.',
    notHeard: "Sorry, I didn't catch that. Please say it again.",
    stillThere: 'Are you still there? Please tell me your question.',
    goodbye: 'Thank you for calling. Goodbye.',
    busy: 'All voice assistant lines are busy. Transferring you to an agent, please hold.',
    timeUp: 'This call has gone on for a long time; please call again with any other question. Goodbye.',
    recognitionDown: 'Sorry, speech recognition is not working right now. Transferring you to an agent.',
    transferFailed: 'Sorry, the transfer is not possible right now. Please call 12345 again later.',
    emergencyBridgeFailed: (number: string) => `I could not connect you. Hang up now and dial ${number}.`,
    dtmfHuman: 'I want to talk to a person',
    options: (titles: string[]) => `You can say: ${titles.join('; ')}.`,
  },
} as const;

export type VoicePrompts = (typeof PROMPTS)['zh-CN'] | (typeof PROMPTS)['en'];

export const voicePrompts = (locale: string): VoicePrompts => (locale.startsWith('en') ? PROMPTS.en : PROMPTS['zh-CN']);

/**
 * Text as it should be heard: links, markup and bracketed source notes are for the eye. Spoken replies
 * already use the short answer form (assistant/turn.ts SHORT_FORM_CHANNELS).
 */
export function speakable(text: string): string {
  return text
    .replace(/https?:\/\/\S+/g, '')
    .replace(DIGIT_STRING, (digits) => [...digits].map((d) => SPOKEN_DIGITS[Number(d)]).join(''))
    .replace(/[*_`#>|]+/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[（(]来源[:：][^)）]*[)）]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Numbers read out digit by digit, as Chinese speakers say phone, ticket and hotline numbers (12345 is
 * 幺二三四五, not 一万两千三百四十五): runs of five or more digits, and the emergency numbers, unless a
 * unit follows (5000元, 2026年).
 */
const DIGIT_STRING = /(?<![0-9])(?:[0-9]{5,}|110|119|120|122)(?![0-9]|\s*[元块年月日号万千百岁人个天次米])/g;
const SPOKEN_DIGITS = ['零', '幺', '二', '三', '四', '五', '六', '七', '八', '九'];

/** Longest piece synthesized at once: a sentence, or a part of a long one. */
const MAX_PART_CHARS = 80;

/**
 * A reply cut into sentences to speak one after another (the first is heard while the next is made).
 * Short sentences are joined, so a part is worth a round trip.
 */
export function spokenParts(text: string): string[] {
  const sentences = text.match(/[^。！？；!?;]+[。！？；!?;]*/g) ?? [];
  const parts: string[] = [];
  for (const sentence of sentences.map((s) => s.trim()).filter(Boolean)) {
    const last = parts.at(-1);
    if (last !== undefined && [...last].length < 12) parts[parts.length - 1] = last + sentence;
    else parts.push(sentence);
  }
  return parts.flatMap((part) => {
    const chars = [...part];
    if (chars.length <= MAX_PART_CHARS) return [part];
    const pieces: string[] = [];
    for (let i = 0; i < chars.length; i += MAX_PART_CHARS) pieces.push(chars.slice(i, i + MAX_PART_CHARS).join(''));
    return pieces;
  });
}
