/**
 * What a message does in the conversation, apart from its subject: names its own demand type ("我要投诉"),
 * asks a question, only announces that something is coming ("我要反映个事"), closes the conversation
 * ("好的，谢谢"), or asks after a ticket already registered. Rules: these are marked by a small closed set
 * of words, and each rule here can be read and argued with.
 */
import type { DemandType } from '../../tickets/ticket-store.js';

/**
 * The citizen's own word for the demand, when they use one as the verb of the request. Per the labelling
 * rules (examples/demand-types.yaml), the citizen's framing decides between a complaint and a report.
 * "建议" is not here: "我建议你们管管这个噪音" is a complaint.
 */
const CUES: [DemandType, RegExp][] = [
  [
    'complaint',
    /^(你好，?)?投诉|(我|我们|想|要|来)(要|想)?(实名)?投诉|投诉(一下|一个|下)|(?<![已被])投诉(他们|她们|他|她|这家|那家|这个|那个)/,
  ],
  [
    'report',
    /^(你好，?)?举报|(我|我们|想|要|来)(要|想)?(匿名|实名)?举报|举报(一下|一个|下)|(?<![已被])举报(他们|她们|他|她|这家|那家|这个|那个|有人)/,
  ],
  [
    'praise',
    /^(你好，?)?表扬|(我|我们|想|要)(要|想)?(表扬|点赞|感谢|夸夸|夸一下)|表扬(一下|一位|一个|下)|给[^，。]{1,12}点(个)?赞|送(锦旗|感谢信)/,
  ],
];

export function demandCue(text: string): DemandType | undefined {
  let first: { type: DemandType; at: number } | undefined;
  for (const [type, pattern] of CUES) {
    const match = pattern.exec(text);
    if (match && (!first || match.index < first.at)) first = { type, at: match.index };
  }
  return first?.type;
}

const QUESTION =
  /([？?]|吗|么$|呢[。！!]?$|怎么|如何|怎样|哪里|哪儿|哪个|哪些|在哪|什么|多少|多久|多长|几(天|个|次|号|点|年|月|岁)|能不能|能否|可不可以|是不是|是否|有没有|要不要|需不需要|请问|咨询)/;

export function isQuestion(text: string): boolean {
  return QUESTION.test(text);
}

/** Announcing words, greetings and fillers: what is left after removing them is the message's content. */
const ANNOUNCING =
  /(你好|您好|喂|请问|在吗|在不在|我想|我要|我们|想要|想|要|反映|投诉|举报|咨询|求助|建议|问|一下|下|一个|个|有|事情|事儿|事|问题|情况|点|的|了|吗|呢|啊|呀|哈|吧|嗯|那个|就是|麻烦|帮忙|帮我|可以|能|[，,。.！!？?\s])/g;

/** Nothing but an announcement: "我要反映个事", "你好，有个问题想问一下", "我要投诉". */
export function isVague(text: string): boolean {
  return [...text.replace(ANNOUNCING, '')].length < 2;
}

/** Thanks and goodbyes that end the exchange ("好的，明白了，谢谢"). */
const CLOSING_WORD =
  /(好的|好|行|嗯|哦|噢|ok|okay|明白了|明白|知道了|清楚了|了解了|懂了|收到|谢谢你?们?|谢谢您|谢了|多谢|感谢|辛苦了|没有了|没事了|没别的了|再见|拜拜|bye|thanks?( you)?)/gi;

export function isClosing(text: string): boolean {
  const rest = text.replace(CLOSING_WORD, '').replace(/[，,。.！!~～\s]/g, '');
  return rest.length === 0 && /(谢|明白|知道|清楚|了解|懂|收到|没有了|没事了|没别的|再见|拜拜|bye|thank)/i.test(text);
}

/**
 * Asking after something registered before, without its number yet: "我前几天投诉的那个事有人管了吗",
 * "帮我查一下工单进度".
 */
const STATUS_QUERY = [
  /(查|查询|看看|问问)(一下)?(我的)?(工单|办理进度|处理进度|进度)/,
  /工单(的)?(进度|状态|处理情况|办理情况|怎么样|到哪)/,
  /(之前|前几天|上次|上周|上个月|昨天|前天|早上|我)[^，。？?]{0,6}(投诉|反映|举报|报修|登记|提交|打电话说)(过)?的[^。？?]{0,16}(有人管|管了|处理|进展|进度|结果|回复|答复|怎么样|办了|办好|解决|哪一步)/,
];

export function isStatusQuery(text: string): boolean {
  return STATUS_QUERY.some((p) => p.test(text));
}

/**
 * Asking what to do or what the rules are ("单位不签劳动合同怎么办", "要带什么材料"): an approved answer may
 * be all the citizen needs, even when the matter is their own.
 */
const ADVICE =
  /(怎么办|怎么(补办|办理|申请|处理|维权|上|弄|交|查|算)|如何|怎样(办|申请|处理)|需要(带|准备|提供)?(哪些|什么)|要(带|准备|交)?(哪些|什么)(材料|证件|手续)|在哪(里|儿)?(办|申请|交)|去哪(里|儿)?(办|申请)|找哪个部门|有没有(规定|政策|补贴)|可不可以|能不能(取|办|申请|报销|提取|补|领|退))/;
/** Asking for someone to act on the citizen's own case ("什么时候能来电", "能不能派人来看看"). */
const ACTION_REQUEST =
  /(什么时候(能|会|才)?(来|恢复|修|通|处理)|能不能(找人|派人|安排|来|帮|过来)|麻烦(派|安排|找|你们)|派人|找人来|来看看|来修|赶紧|尽快)/;

export function asksAdvice(text: string): boolean {
  return ADVICE.test(text) && !ACTION_REQUEST.test(text);
}

/** Taking up the offer to register what could not be answered ("登记"). */
const REGISTER =
  /^(请|帮我|我要|给我)?(登记|登记工单|登记一下|立个?工单|提交工单)(吧|一下)?[。.!！]?$|^(ticket|register)$/i;

export function asksToRegister(text: string): boolean {
  return REGISTER.test(text.trim());
}
