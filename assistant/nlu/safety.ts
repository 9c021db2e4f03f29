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
  /** Read over the whole text: the event and its effect come in separate clauses ("两车相撞，有人倒地"). */
  acrossClauses?: boolean;
}

/** Words that put an event in the past or make it a possibility rather than a fact. */
export const NOT_NOW =
  /(上次|上回|去年|前年|上个月|上周|以前|之前|那次|当时|曾经|前天|昨天|昨晚|前几天|年前|月前|天前|处理完|谁负责|要是|费用|医保|报销|住院|已经(被)?(扑灭|灭了|处理|解决|送医|出院|结束|报警|好了)|万一|容易|可能会|会不会|(?<!害|好|很)怕|担心|防止|预防|隐患|演练|培训|知识|宣传|如何|怎么预防|理赔|赔偿|保险|定损|认定书|事故责任|鉴定|处罚|罚款)/;

/** A recurring nuisance ("天天", "每天晚上") is a matter for a ticket, not an emergency happening now. */
export const HABITUAL = /(天天|每天|每晚|经常|老是|总是|一直都|隔三差五)/;

const RULES: EmergencyRule[] = [
  {
    // Harm already done and showing: an ambulance first, whatever caused it.
    kind: 'medical',
    number: '120',
    acrossClauses: true,
    triggers: [
      /(割腕|服毒|上吊|(吃|吞|喝)了?[^，。]{0,5}(安眠药|农药|老鼠药|药))[^。]{0,12}(血|吐|昏迷|叫不醒|抽搐|没反应|没气|不动)/,
      /(摔|跌)(了一跤|了一下|倒了?|下来|伤了?)[^。]{0,12}(起不来|骨折|动不了|流血|出血|昏迷|叫不醒)/,
      /(救|捞|拉)(上来|出来)了?[^。]{0,10}(没有?(了)?呼吸|没有?心跳|叫不醒|昏迷|没反应)/,
    ],
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
      /想(吃|吞|喝)(安眠药|农药|老鼠药|药)/,
      /(割腕|上吊|服毒|喝农药|喝了农药)/,
    ],
  },
  {
    kind: 'gas',
    number: '119',
    acrossClauses: true,
    triggers: [
      /(煤气|燃气|天然气|液化气)(罐|管道?|管子|瓶|表|阀门?)?[^，。！？]{0,6}(泄漏|泄露|漏气|漏了|漏出|在漏|一直漏|往外喷)/,
      /(闻到|一股|好大的?|(很|好|特别)?(浓|重|冲|大)的?)[^，。！？]{0,4}(煤气|燃气|天然气|液化气)味/,
      /(煤气|燃气|天然气)味(很|特别|非常|好)?(大|浓|重|冲)/,
    ],
    unless: [/(燃气费|气费|账单|价格|涨价|收费|缴费|开户|过户|报装|安检收费|表(没电|不走|读数|计量))/],
  },
  {
    kind: 'fire',
    number: '119',
    triggers: [
      /(着火|起火|失火|烧起来|燃起来|火烧起来|冒火|火苗|火光|浓烟滚滚|大火|火势|自燃)/,
      /(罐|锅|车|房子|屋|楼|店|仓库|电瓶|电动车)[^，。！？]{0,2}着了/,
      /(冒(着)?(黑|浓)烟).*(着|烧|火|出不来|被困)/,
    ],
    unless: [
      /(上火|火锅|火车|火葬|火腿|火化|火爆|发火|烟火气|油烟|焰火晚会|火龙果|点火(开关|器)|打火机(卖|价格)|打不着火|点不着火|打不着|火花|爆炒|炒菜|做饭|烧沥青|抽烟|吸烟|电焊)/,
      HABITUAL,
    ],
  },
  {
    // An explosion: sparks after it are no reason to wait ("变电箱炸了一直在冒火花").
    kind: 'fire',
    number: '119',
    triggers: [/(爆炸|炸了|炸开了|爆了一声)/],
    unless: [/(炸鸡|炸串|炸酱|油炸|炸薯|气炸|炸毛|炸锅|轮胎|手机|群|爆炸(似的|一样)|像爆炸)/, HABITUAL],
  },
  {
    kind: 'traffic',
    number: '122',
    acrossClauses: true,
    triggers: [
      /(车祸|撞车|追尾|翻车|翻了|相撞|被车撞|撞了人|撞到人|撞人|被撞|连环撞|侧翻|刮倒|撞倒|撞飞|车[^，。！\s]{0,8}(撞|刮|碰)(了|上|到|在|倒)|撞(了|上|到)[^，。！\s]{0,3}车).*(受伤|伤了|流血|出血|血|昏迷|不省人事|倒地|倒在|躺在地上|起不来|动不了|一动不动|断了|卡在|压在|压住|出不来|被困|骨折|人伤|还有人)/,
      /(受伤|流血|出血|昏迷|倒地|倒在|起不来|卡在车里|压在车下).*(车祸|撞车|追尾|翻车|相撞|被车撞|撞了|车[^，。！\s]{0,4}撞)/,
      /(人|孩子|小孩|老人|行人|骑手|学生|我)[^，。]{0,4}被(车|汽车|货车|卡车|公交车?|电动车)(压|撞|碾|轧)(在|住|倒|伤|到|了)/,
    ],
  },
  {
    kind: 'trapped',
    number: '119',
    acrossClauses: true,
    triggers: [
      /(被)?(困|关)在(电梯|楼|屋|房间|车)里/,
      /电梯(突然)?(停|卡|坠).*(人在里面|有人|出不来|被困)/,
      /被困/,
      /(卷进|卡在|夹在|压在|掉进|卡住|夹住)[^。！？]{0,12}(拔不出|出不来|动不了|取不出|拿不出|上不来)/,
      /(被埋|埋在|埋住|塌方|坍塌|倒塌)[^。]{0,10}(人|工人|里面)|有人(被埋|埋在)/,
      /(掉进|落入|掉到|冲进)(河|湖|江|海|水库|水塘|水沟|井)|(掉|落|跌)(进|到|入)?(水里|河里|湖里|江里|海里|池塘里?)|被(水|洪水)冲走|溺水|(车|人)[^，。]{0,6}(泡在|淹在)水里/,
    ],
    // Already got out ("已经捞上来了，没有呼吸"): an ambulance, not a rescue.
    unless: [/(经常|老是|总是)(停|坏)/, /(捞|救|拉)(上来|出来)/],
  },
  {
    kind: 'crime',
    number: '110',
    triggers: [
      /(有人|几个人|一伙人|他|他们|歹徒|小偷)(正在|在|拿着?|持)?(刀|棍|枪)?(打架|斗殴|砍人|行凶|抢劫|抢东西|抢包|撬门|撬锁|偷车|偷东西|入室|闯进|绑架|殴打|打人|追砍|捅人|持刀)/,
      /(正在|现在|刚刚|就在|还在)(被)?(偷|抢|打(?![桩牌卡针球工电麻折扫算听包车])|砍|撬|抢劫|殴打|跟踪|猥亵|绑)/,
      /正在(剪锁|撬锁|撬门|砸车|砸门|砸窗)/,
      /有人(正在|在)?(撬|砸|踹)[^，。！？]{0,5}(门|窗|锁)/,
      /(扬言|说要|威胁要?|喊着要)(烧|砍|杀|炸|泼|捅)/,
      /(孩子|小孩|女儿|儿子|闺女|老人)[^，。]{0,8}(不见了|走丢了|丢了|被人?(抱走|带走|拐走))/,
      /(孩子|小孩|女儿|儿子|闺女)[^。]{0,8}(一直没回来|还没回来|没回家|找不到了?)[^。]{0,12}(关机|联系不上|打不通|找遍)/,
      /(正在|还在|现在)[^，。]{0,14}(转钱|转账|汇款)|(被|正被)[^，。]{0,10}(指挥|骗)[^，。]{0,4}(转钱|转账|汇款)/,
      /(翻墙|翻窗户?|撬窗|闯)进(了)?[^，。]{0,4}(我家|家里|院子|屋|人家)/,
      /(惨叫|呼救)/,
      /(持刀|拿刀|持枪|拿枪|开枪|枪声|砍人|捅人|入室盗窃|入室抢劫|抢劫|绑架|劫持|家暴|打老婆|打孩子|强奸|性侵)/,
      /(救命|快来人)/,
    ],
    unless: [/(报警(电话|了也|后|之后)|110来了也?不管|派出所(不管|不作为|态度)|立案|案件进展|判决)/],
  },
  {
    // Said over several clauses: money still leaving in a fraud, a person just gone missing.
    kind: 'crime',
    number: '110',
    acrossClauses: true,
    triggers: [
      /(安全账户|屏幕共享|共享屏幕|远程(控制|操作)|会议软件)[^。]{0,40}(还在|正在|现在|继续|一笔一笔)[^。]{0,8}(转|催|操作|扣)/,
      /(老年痴呆|阿尔茨海默|糊涂|智力障碍)[^。]{0,30}(没回来|找不到|走丢|不见)/,
      /(孩子|小孩|女儿|儿子|闺女)[^。]{0,30}(一转眼|转眼|一眨眼|突然)[^。]{0,6}(不见了|没了|找不到了)/,
      /(撬开|砸开|翻进)[^。]{0,10}(门|窗)[^。]{0,12}(正在|现在|还在)/,
      /(打|殴打|掐|踢)(我妈|我爸|我|老婆|妻子|孩子|女儿|儿子|老人)[^。]{0,12}(血|现在|还在|救命|快来)/,
    ],
  },
  {
    kind: 'medical',
    number: '120',
    triggers: [
      /(晕倒|昏倒|捂着胸口|突然倒下|倒下了|昏迷|不省人事|没有?(了)?呼吸|没有?心跳|叫不醒|抽搐|口吐白沫|心脏病(犯|发作)|心梗|脑梗|中风|休克|大出血|血流不止|流了(很多|好多|一地)血|喘不上气|呼吸困难|噎住|窒息|中毒|煤气中毒|触电|快不行了|快生了|羊水破了|脸都紫了|嘴唇发紫|卡住了?喉咙|(喉咙|嗓子)[^，。]{0,4}卡住|怀孕[^。]{0,12}(出血|剧痛|见红)|头上全是血|满(脸|头)(是)?血)/,
    ],
    unless: [/(挂号|排队|医保|报销|药费|收费|住院费|体检|预约|病历|医生态度|看病难)/],
  },
];

/** Clauses: an emergency word and its "not now" must be in the same one to cancel each other. */
const CLAUSE = /[，,。.！!？?；;\n]+/;
const CLAUSE_BREAK = /[，,。.！!？?；;\n]/;
const CLAUSE_BREAKS = new RegExp(CLAUSE_BREAK.source, 'g');

export function detectEmergency(text: string): Emergency | undefined {
  const clauses = text.split(CLAUSE).filter((c) => c.trim());
  // The same text with each clause break turned into a space, character for character.
  const joined = text.replace(CLAUSE_BREAKS, ' ');
  for (const rule of RULES) {
    for (const clause of rule.acrossClauses ? [joined] : clauses) {
      for (const trigger of rule.triggers) {
        const match = trigger.exec(clause);
        if (!match) continue;
        // What cancels a trigger is looked for where it was said: its own clause, or, read across
        // clauses, the clauses the match spans (so "怕里面有人出事" after "一股很浓的煤气味" does not make
        // the gas smell a worry, while "车祸受伤住院的费用" stays a question about fees).
        const context = rule.acrossClauses ? clausesAround(text, match.index, match.index + match[0].length) : clause;
        if (rule.unless?.some((u) => u.test(context))) continue;
        if (NOT_NOW.test(context)) continue;
        return { kind: rule.kind, number: rule.number, matched: match[0] };
      }
    }
  }
  return undefined;
}

/** The text from the start of the clause holding `from` to the end of the clause holding `to`. */
function clausesAround(text: string, from: number, to: number): string {
  let start = from;
  while (start > 0 && !CLAUSE_BREAK.test(text[start - 1]!)) start--;
  let end = to;
  while (end < text.length && !CLAUSE_BREAK.test(text[end]!)) end++;
  return text.slice(start, end);
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
/** Asking how, where or how long: a consultation about the channel, which the hotline answers. */
export const ASKS_HOW =
  /(怎么|如何|哪里|在哪|哪个部门|哪个单位|什么渠道|多久|多长时间|电话是多少|电话多少|流程|需要实名吗|要实名吗|(地址|接待时间|办公时间|上班时间)(和[^，。]{0,6})?(是|在)?(什么|多少|哪))/;

/**
 * Not before another body after all: never went there ("没有去仲裁"), a place named after it ("信访局旁边的
 * 公厕"), or thanks to its staff.
 */
export const NOT_REFUSED =
  /((没有|没|不用|未|不想|不打算|还没)(去|走|申请|提起)?(信访|上访|仲裁|起诉|复议|打官司))|((法院|信访局|仲裁院|仲裁委|纪委|政府)(旁边|门口|附近|对面|楼下|大楼|停车场|厕所|公厕))|((信访|法院|仲裁)[^，。]{0,4}(接待)?(大厅|大楼)(里)?[^，。]{0,4}(空调|厕所|座位|排队|冷|热|脏))|表扬|感谢|点赞|谢谢/;

const NON_ACCEPTANCE: { reason: NonAcceptanceReason; triggers: RegExp[]; unless?: RegExp[] }[] = [
  {
    reason: 'arbitration',
    triggers: [
      /(已经|已|正在|在)(申请|提交到?|提起|递交到?)?(了)?(劳动|商事)?仲裁/,
      /仲裁(委|院)?(的)?(已经|已|正在|还在)?(受理|立案|开庭|审理|裁决)/,
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
      /信访(局|办|部门|件|事项)?(已经|已|正在|还在)?(受理|在办|答复|办理中|立案|办结|终结)/,
      /(上访|信访)(了|过|中|还没|之后|以后)/,
      /信访(事项)?(复查|复核)|(复查|复核)意见/,
      /(上访|信访)[^，。]{0,4}(已经|已)(被)?(受理|立案|在办)/,
    ],
    unless: [/(怎么|如何|去哪|哪里)(信访|上访)/],
  },
  {
    reason: 'litigation',
    triggers: [
      /(已经|已|正在|在)(去|到|向)?(法院)?(起诉|立案|打官司|上诉|开庭|审理|申请强制执行|申请执行)/,
      /(案子|官司)[^，。]{0,4}(正在|还在|在)?(法院)?(审理|审着|开庭|判决)/,
      /(法院|官司|案子)(已经|已|正在|还在|在)(立案|受理|审理|审|判|开庭|执行)/,
      /(起诉|上诉|诉讼)(了|中|期间|还没判|没判|之后|以后)/,
      /(一审|二审|再审|开庭|立案通知)/,
    ],
    unless: [/(怎么|如何|能不能|可以|要不要|需要|想|打算|准备)(去)?(起诉|打官司|立案|上诉)/],
  },
  {
    reason: 'discipline',
    triggers: [
      /(举报|反映)[^。！？]{0,14}(干部|官员|公务员|领导|局长|科长|处长|主任|书记|村长|镇长|所长|站长|队长|村支书|支书|村主任|街道办)[^。！？]*(贪污|受贿|腐败|违纪|吃拿卡要|收红包|红包|好处费|回扣|收礼|公款|作风|以权谋私|滥用职权|利用职权|违规(经商|批|审批)|吃空饷|挪用)/,
      /(贪污|受贿|腐败|违纪|以权谋私|公款吃喝|收了?[^，。]{0,6}好处费|利用职权|滥用职权).*(干部|官员|公务员|领导|局长|书记|村长|主任|所长)/,
      /(干部|官员|公务员|领导|局长|书记|支书|村长|主任|所长|公办[^，。]{0,6}校长|院长|工作人员|执法人员|民警)[^。]{0,20}(贪污|受贿|回扣|装进(了)?(自己)?(的)?腰包|侵占|挪用|好处费|收礼|收红包|塞[^，。]{0,2}红包|给了?自己(的)?亲戚)/,
    ],
    unless: [ASKS_HOW],
  },
  {
    reason: 'disclosure',
    triggers: [
      /(政府)?信息公开申请/,
      /依申请公开/,
      /申请(政府)?信息公开/,
      /申请公开.*(文件|信息|数据|合同|批复|红头)/,
      /(合同|批复|审批(文件|材料)?|卷宗|会议纪要|红头文件)[^。]{0,8}(提供给我|公开给我|给我一份|复印给我)/,
    ],
    unless: [ASKS_HOW],
  },
];

export function detectNonAcceptance(text: string): NonAcceptance | undefined {
  if (NOT_REFUSED.test(text)) return undefined;
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
