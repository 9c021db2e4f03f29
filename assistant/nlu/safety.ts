/**
 * The checks that come before anything else in a turn: an emergency to divert to 119/110/120/122, and
 * matters the hotline may not accept (不予受理). Rules, not a model: a missed emergency is the one error
 * that cannot be allowed, and every rule here can be read and argued with. Each kind has patterns that
 * trigger it and patterns that, in the same text, show it is not happening now (a hazard to report, a
 * past event, a question about fees).
 */

export type EmergencyKind = 'fire' | 'gas' | 'trapped' | 'crime' | 'suicide' | 'medical' | 'traffic';

export interface Emergency {
  kind: EmergencyKind;
  /** The number to call now. */
  number: '119' | '110' | '120' | '122';
  /** The words that triggered it (for the agent who picks the conversation up). */
  matched: string;
}

interface EmergencyRule {
  kind: EmergencyKind;
  number: Emergency['number'];
  triggers: RegExp[];
  /** In the same clause, these mean the trigger is not an emergency now. */
  unless?: RegExp[];
}

/** Words that put an event in the past or make it a possibility rather than a fact. */
const NOT_NOW =
  /(上次|上回|去年|前年|上个月|上周|以前|之前|那次|当时|曾经|前天|昨天|昨晚|前几天|年前|月前|天前|处理完|谁负责|要是|费用|医保|报销|住院|已经(被)?(扑灭|灭了|处理|解决|送医|出院|结束|报警|好了)|万一|容易|可能会|会不会|怕|担心|防止|预防|隐患|演练|培训|知识|宣传|如何|怎么预防|理赔|赔偿|保险|定损|认定书|事故责任|鉴定|处罚|罚款)/;

const RULES: EmergencyRule[] = [
  {
    kind: 'gas',
    number: '119',
    triggers: [
      /(煤气|燃气|天然气|液化气)(罐|管道?|瓶)?(在)?(泄漏|泄露|漏气|漏了|漏出)/,
      /(闻到|一股|好大的?|很浓的?|浓浓的?)(很?浓的?)?(煤气|燃气|天然气)味/,
      /(煤气|燃气|天然气)味(很|特别|非常|好)?(大|浓|重|冲)/,
    ],
    unless: [/(费|账单|价格|涨价|收费|缴费|表|开户|过户|报装|安检收费)/],
  },
  {
    kind: 'fire',
    number: '119',
    triggers: [
      /(着火|起火|失火|烧起来|燃起来|火烧起来|冒火|火苗|火光|浓烟滚滚|大火|火势)/,
      /(冒(着)?(黑|浓)烟).*(着|烧|火|出不来|被困)/,
      /(爆炸|炸了)/,
    ],
    unless: [
      /(上火|火锅|火车|火葬|火腿|火化|火爆|发火|烟火气|油烟|焰火晚会|火龙果|点火(开关|器)|打火机(卖|价格)|打不着火|点不着火|打不着|火花|爆炒|炒菜|做饭|烧沥青)/,
    ],
  },
  {
    kind: 'trapped',
    number: '119',
    triggers: [/(被)?(困|关)在(电梯|楼|屋|房间|车)里/, /电梯(突然)?(停|卡|坠).*(人在里面|有人|出不来|被困)/, /被困/],
    unless: [/(经常|老是|总是)(停|坏)/],
  },
  {
    kind: 'suicide',
    number: '110',
    triggers: [
      /(想|要|准备|打算)(去)?(自杀|轻生|跳楼|跳河|跳桥|寻死|割腕|上吊|结束(自己的)?生命)/,
      /(不想活了|活不下去了|活着没意思|不如死了|想死)/,
      /(站在|爬上|坐在)(楼顶|天台|桥上|窗台|护栏外).*(要跳|想跳|往下跳)/,
      /有人(要|想|在)?(跳楼|跳河|跳桥|轻生|自杀)/,
      /(吞了|吃了)(一整?瓶|很多|好多|大量)(的)?(药|安眠药)/,
    ],
  },
  {
    kind: 'crime',
    number: '110',
    triggers: [
      /(有人|几个人|一伙人|他|他们|歹徒|小偷)(正在|在|拿着?|持)?(刀|棍|枪)?(打架|斗殴|砍人|行凶|抢劫|抢东西|抢包|撬门|撬锁|偷车|偷东西|入室|闯进|绑架|殴打|打人|追砍|捅人|持刀)/,
      /(正在|现在|刚刚|就在)(被)?(偷|抢|打|砍|撬|抢劫|殴打|跟踪|猥亵|绑)/,
      /(持刀|拿刀|砍人|捅人|入室盗窃|入室抢劫|抢劫|绑架|劫持|家暴|打老婆|打孩子|强奸|性侵)/,
      /(救命|快来人)/,
    ],
    unless: [/(报警(电话|了也|后|之后)|110来了也?不管|派出所(不管|不作为|态度)|立案|案件进展|判决)/],
  },
  {
    kind: 'traffic',
    number: '122',
    triggers: [
      /(车祸|撞车|追尾|翻车|相撞|被车撞|撞了人|撞到人|撞人|被撞|连环撞|侧翻).*(受伤|伤了|流血|出血|昏迷|不省人事|倒地|起不来|动不了|卡在车里|压在|骨折|人伤)/,
      /(受伤|流血|出血|昏迷|倒地|起不来|卡在车里|压在车下).*(车祸|撞车|追尾|翻车|相撞|被车撞|撞了)/,
    ],
  },
  {
    kind: 'medical',
    number: '120',
    triggers: [
      /(晕倒|昏倒|昏迷|不省人事|没有?(了)?呼吸|没有?心跳|叫不醒|抽搐|口吐白沫|心脏病(犯|发作)|心梗|脑梗|中风|休克|大出血|血流不止|流了(很多|好多|一地)血|喘不上气|呼吸困难|噎住|窒息|中毒|煤气中毒|触电|溺水|快不行了|快生了|羊水破了)/,
    ],
    unless: [/(挂号|排队|医保|报销|药费|收费|住院费|体检|预约|病历|医生态度|看病难)/],
  },
];

/** Clauses: an emergency word and its "not now" must be in the same one to cancel each other. */
const CLAUSE = /[，,。.！!？?；;\n]+/;

export function detectEmergency(text: string): Emergency | undefined {
  const clauses = text.split(CLAUSE).filter((c) => c.trim());
  for (const rule of RULES) {
    // Citizens split "两车相撞，有人倒在地上" with a comma: a traffic accident is read across clauses.
    for (const clause of rule.kind === 'traffic' ? [text.replace(CLAUSE, ' ')] : clauses) {
      for (const trigger of rule.triggers) {
        const match = trigger.exec(clause);
        if (!match) continue;
        if (rule.unless?.some((u) => u.test(clause))) continue;
        if (NOT_NOW.test(clause)) continue;
        return { kind: rule.kind, number: rule.number, matched: match[0] };
      }
    }
  }
  return undefined;
}

export type NonAcceptanceReason =
  'litigation' | 'arbitration' | 'reconsideration' | 'petition' | 'discipline' | 'disclosure';

export interface NonAcceptance {
  reason: NonAcceptanceReason;
  matched: string;
}

/**
 * The matter is already before another body (a court, an arbitration commission, a reconsideration
 * organ, the letters-and-visits channel) or belongs to one by law (discipline inspection, government
 * information disclosure). Asking how to go to court or to arbitration is a consultation and is accepted.
 */
const NON_ACCEPTANCE: { reason: NonAcceptanceReason; triggers: RegExp[]; unless?: RegExp[] }[] = [
  {
    reason: 'arbitration',
    triggers: [
      /(已经|已|正在|在)(申请)?(了)?(劳动)?仲裁/,
      /仲裁(委|院)?(已经|已|正在|还在)?(受理|立案|开庭|审理|裁决)/,
      /(仲裁)(中|期间|还没|没出|结果|之后|以后|了)/,
    ],
    unless: [/(怎么|如何|能不能|可以|要不要|需要|想|打算|准备|去哪)(申请)?(劳动)?仲裁/],
  },
  {
    reason: 'reconsideration',
    triggers: [/(已经|已|正在)(申请|提起|提出)?(了)?(行政)?复议/, /复议(中|期间|决定|还没|结果|了|申请已)/],
    unless: [/(怎么|如何|能不能|可以|要不要|想|打算|准备)(申请)?(行政)?复议/],
  },
  {
    reason: 'petition',
    triggers: [
      /(已经|已|正在|在)(去|到)?(信访|上访|走信访)/,
      /信访(局|办|部门|件|事项)?(已经|已|正在|还在)?(受理|在办|答复|办理中|立案)/,
      /(上访|信访)(了|过|中|还没|之后|以后)/,
    ],
    unless: [/(怎么|如何|去哪|哪里)(信访|上访)/],
  },
  {
    reason: 'litigation',
    triggers: [
      /(已经|已|正在|在)(向法院)?(起诉|立案|打官司|上诉|开庭|审理|申请强制执行|申请执行)/,
      /(法院|官司|案子)(已经|已|正在|还在|在)(立案|受理|审理|审|判|开庭|执行)/,
      /(起诉|上诉|诉讼)(了|中|期间|还没判|没判|之后|以后)/,
      /(一审|二审|再审|判决书|裁定书|开庭|立案通知)/,
    ],
    unless: [/(怎么|如何|能不能|可以|要不要|需要|想|打算|准备)(去)?(起诉|打官司|立案|上诉)/],
  },
  {
    reason: 'discipline',
    triggers: [
      /(举报|反映)(一个|某|我们)?(村|镇|街道|局|区|市)?(干部|官员|公务员|领导|局长|科长|处长|主任|书记|村长|镇长).*(贪污|受贿|腐败|违纪|吃拿卡要|收红包|公款|作风|以权谋私|滥用职权|违规经商)/,
      /(贪污|受贿|腐败|违纪|以权谋私|公款吃喝).*(干部|官员|公务员|领导|局长|书记|村长)/,
      /(纪委|监委|纪检)/,
    ],
  },
  {
    reason: 'disclosure',
    triggers: [/(政府)?信息公开申请/, /依申请公开/, /申请(政府)?信息公开/, /申请公开.*(文件|信息|数据|合同|批复|红头)/],
  },
];

export function detectNonAcceptance(text: string): NonAcceptance | undefined {
  for (const rule of NON_ACCEPTANCE) {
    if (rule.unless?.some((u) => u.test(text))) continue;
    for (const trigger of rule.triggers) {
      const match = trigger.exec(text);
      if (match) return { reason: rule.reason, matched: match[0] };
    }
  }
  return undefined;
}

/** 转人工, 人工客服, 找个真人…: an explicit request for a person, in Chinese or English. */
const HUMAN =
  /(转人工|找人工|人工客服|人工服务|人工坐席|真人|接线员|话务员|^人工$|找(个)?(人工|真人|客服|接线员|话务员)|(要|想)(跟|和)(真人|人工|客服)(说|聊|谈)|不要(跟)?机器人|\bagent\b|\bhuman\b|real person|talk to (a )?(person|someone))/i;

export function wantsHuman(text: string): boolean {
  return HUMAN.test(text.trim());
}
