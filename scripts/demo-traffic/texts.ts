/**
 * What the demo citizens and agents say. SAMPLE DATA in Simplified Chinese: invented matters, places and
 * people; the wording varies so the dashboard's clusters and "top unanswered" have something to group.
 */
import type { Persona } from './personas.js';
import { estateAddress, streetAddress } from './personas.js';
import type { Random } from './random.js';

type Say = (p: Persona, r: Random) => string;

/** A matter the assistant takes down as a ticket. */
export interface CaseTemplate {
  id: string;
  /** The category's name as the taxonomy has it (picked when the assistant offers categories). */
  category: string;
  /** The citizen's own word for the demand, used when the assistant answers instead of taking it down. */
  cue: '投诉' | '举报' | '反映' | '表扬' | '建议';
  /** Reports where the citizen would rather stay anonymous. */
  anonymous?: boolean;
  texts: Say[];
}

const at = (p: Persona) => `${p.district}${streetAddress(p)}`;
const estate = (p: Persona) => `${p.district}${estateAddress(p)}`;

/** The recurring problem: barbecue smoke in one district, in ever different words. */
export const RECURRING_DISTRICT = '北苑区';
export const RECURRING: CaseTemplate = {
  id: 'bbq-smoke',
  category: '餐饮油烟',
  cue: '投诉',
  texts: [
    (p) => `${p.district}${p.street}有家烧烤店每天晚上油烟直排，熏得家里没法开窗`,
    (p) => `我要投诉${at(p)}那家烧烤摊，油烟太大了，一到晚上整栋楼都是烧烤味`,
    () => '楼下烧烤店的排烟管正对着我家窗户，油烟天天往屋里灌',
    (p) => `投诉一下${p.district}夜市的烧烤摊，油烟呛得老人孩子一直咳嗽`,
    (p) => `${estate(p)}楼下新开了家烧烤，晚上油烟和噪音都很大`,
    (p) => `反映一下${p.estate}门口的烧烤店油烟扰民好几个月了，一直没人管`,
    (p) => `${p.district}${p.street}的烧烤店没装油烟净化器，烟雾飘得到处都是`,
    () => '我家对面的烧烤店每天烤到凌晨，油烟熏得衣服都不能晾在外面',
  ],
};

/** The rising hot spot: night construction noise in one district, concentrated in the last week. */
export const HOTSPOT_DISTRICT = '高新区';
export const HOTSPOT: CaseTemplate = {
  id: 'night-construction',
  category: '施工噪声扰民',
  cue: '投诉',
  texts: [
    (p) => `${p.district}${p.street}的工地天天夜里打桩，十二点了还在干`,
    (p) => `我要投诉${p.district}${p.street}那个工地，半夜施工吵得根本睡不着`,
    (p) => `反映${p.district}${p.estate}旁边工地夜间施工扰民的问题，已经连续一个星期了`,
    (p) => `投诉${at(p)}附近的工地，凌晨一点还有渣土车和打桩的声音`,
    (p) => `${p.district}工地夜间施工噪音太大，孩子第二天还要上学，能不能管管`,
  ],
};

export const CASES: CaseTemplate[] = [
  {
    id: 'street-light',
    category: '路灯',
    cue: '反映',
    texts: [
      (p) => `${p.district}${p.street}一整段路灯都不亮，晚上走路很危险`,
      (p) => `${p.estate}门口那条路的路灯坏了快半个月了`,
    ],
  },
  {
    id: 'pothole',
    category: '道路破损',
    cue: '反映',
    texts: [
      (p) => `${p.district}${p.street}路面塌了一个大坑，一直没人来修`,
      (p) => `${at(p)}门口的人行道砖全松了，一踩就翻起来`,
    ],
  },
  {
    id: 'manhole',
    category: '井盖与排水',
    cue: '反映',
    texts: [(p) => `${at(p)}门口的井盖松动了，车一压就哐哐响`, (p) => `${p.estate}下水道堵了，污水都冒到路面上了`],
  },
  {
    id: 'lift',
    category: '电梯故障与安全',
    cue: '投诉',
    texts: [
      () => '我们小区电梯坏了一个星期了，物业一直不修，老人上下楼太难了',
      (p) => `${estate(p)}的电梯三天两头停运，昨天还关了人`,
    ],
  },
  {
    id: 'property',
    category: '物业服务质量',
    cue: '投诉',
    texts: [() => '小区物业不作为，垃圾堆了好几天也没人清理', (p) => `${p.estate}物业态度很差，门禁坏了也不管`],
  },
  {
    id: 'square-dance',
    category: '社会生活噪声',
    cue: '投诉',
    texts: [
      () => '小区广场舞音响开得太大，每天晚上吵到十点多',
      (p) => `${p.district}${p.street}一家KTV每天半夜还在放音乐，低音震得睡不着`,
    ],
  },
  {
    id: 'fire-lane',
    category: '消防通道堵塞',
    cue: '举报',
    texts: [() => '有车长期停在我们小区的消防通道上，怎么说都不挪'],
  },
  {
    id: 'water-cut',
    category: '停水与水压',
    cue: '反映',
    texts: [(p) => `${estate(p)}从早上开始停水，也没有提前通知`, () => '我家这几天水压特别小，楼上根本用不了热水器'],
  },
  {
    id: 'heating',
    category: '供暖质量',
    cue: '反映',
    texts: [() => '家里暖气不热，室温只有十五度，老人孩子受不了'],
  },
  {
    id: 'food-safety',
    category: '餐饮食品安全',
    cue: '投诉',
    texts: [(p) => `我在${p.district}${p.street}一家饭店吃出了虫子，商家态度还很差`],
  },
  {
    id: 'prepaid-card',
    category: '预付卡消费',
    cue: '投诉',
    texts: [() => '我办卡的健身房突然关门跑路了，卡里还有三千多块钱'],
  },
  {
    id: 'unpaid-wages',
    category: '拖欠工资',
    cue: '投诉',
    texts: [() => '公司已经拖欠我们三个月工资了，老板一直躲着不见人'],
  },
  {
    id: 'flying-wire',
    category: '消防隐患',
    cue: '举报',
    anonymous: true,
    texts: [() => '我要举报楼道里有人飞线给电动车充电，太危险了'],
  },
  {
    id: 'group-rental',
    category: '群租与违规出租',
    cue: '举报',
    anonymous: true,
    texts: [() => '我要举报隔壁的房子被改成隔断房，住了十几个人'],
  },
  {
    id: 'illegal-building',
    category: '私搭乱建',
    cue: '举报',
    texts: [() => '我要举报一楼住户在院子里私搭乱建，占了公共绿地'],
  },
  {
    id: 'rats',
    category: '病媒生物与公共场所卫生',
    cue: '反映',
    texts: [() => '小区里老鼠特别多，晚上在垃圾桶边上到处跑'],
  },
  {
    id: 'burning',
    category: '露天焚烧',
    cue: '举报',
    texts: [(p) => `${p.district}${p.street}有人晚上在路边烧垃圾，味道很呛`],
  },
  {
    id: 'traffic-light',
    category: '交通信号灯',
    cue: '反映',
    texts: [(p) => `${p.district}${p.street}的红绿灯坏了，一直闪黄灯`],
  },
  {
    id: 'taxi',
    category: '出租车服务',
    cue: '投诉',
    texts: [() => '我要投诉出租车司机拒载，还态度很差'],
  },
  {
    id: 'bus-stop',
    category: '公交线路与班次',
    cue: '建议',
    texts: [(p) => `建议在${p.street}增设一个公交站，附近居民出行太不方便了`],
  },
  {
    id: 'fitness',
    category: '公共文化体育设施',
    cue: '建议',
    texts: [() => '建议公园里多装几个健身器材，现在的都坏了'],
  },
  {
    id: 'praise-service',
    category: '工作人员态度与作风',
    cue: '表扬',
    texts: [
      (p) => `我想表扬一下${p.district}政务服务中心的窗口工作人员，服务特别耐心`,
      () => '我想表扬一下12路公交车的司机，帮老人搬行李上车',
      () => '给我们小区的环卫工人点个赞，每天天不亮就在扫地',
    ],
  },
];

/**
 * Questions outside the demo knowledge base, the first ones asked most (so "top unanswered" has counts).
 * Most get a confident but wrong answer, which the citizen marks 没有解决; the rest get likely questions to
 * pick from. (Outright misses are rare: the calibrated confidence seldom drops below the suggestion floor.)
 * Repeats differ only in punctuation: the dashboard groups them as one question.
 */
export const UNANSWERED: { text: string; weight: number }[] = [
  { text: '养猫需要办证吗', weight: 8 },
  { text: '城市书房几点开门', weight: 6 },
  { text: '市民卡可以坐高铁吗', weight: 5 },
  { text: '外地车限行时间是几点到几点', weight: 4 },
  { text: '地铁几号线什么时候开通', weight: 3 },
  { text: '宠物狗可以办理电子狗证吗', weight: 3 },
  { text: '在公园放无人机违法吗', weight: 2 },
  { text: '新能源汽车置换补贴什么时候发', weight: 2 },
  { text: '今年元宵节有没有灯会', weight: 2 },
  { text: '跨年夜有没有烟花表演', weight: 2 },
  { text: '学校的午托班怎么收费', weight: 1 },
  { text: '民宿备案需要什么手续', weight: 1 },
  { text: '周末去哪里玩比较好', weight: 1 },
];

export const EMERGENCIES = [
  '楼下饭店着火了，烟很大',
  '我家老人突然晕倒了，叫不醒',
  '小区里燃气管道漏气了，味道特别大',
  '路口两辆车撞了，有人受伤躺在地上',
  '着火了！隔壁单元厨房冒出好大的火',
  '有人晕倒在公交站了，没有反应',
];

/** What an emergency's caller tells the agent, and the agent's answers. */
export const EMERGENCY_DIALOG = {
  citizen: ['已经打过电话了，救援的人说马上到', '好的，谢谢你们'],
  agent: [
    '您好，我是12345热线坐席，已看到您的紧急求助。请问现场人员是否安全？是否已经拨打急救或报警电话？',
    '好的，请您在安全的地方等候救援，不要返回现场。我们已同步通知属地街道跟进，如有新情况请随时联系我们。',
  ],
};

export const REFUSALS = [
  '法院判了对方还钱，但对方一直不执行',
  '我和公司的劳动纠纷已经在仲裁了，仲裁委一直拖着',
  '我之前的信访件一直没有结果，想再反映一次',
  '我要申请公开我们村征地补偿的政府信息',
];

export const HUMAN_REQUESTS = ['转人工', '人工客服', '我要找人工', '能不能让真人来回答', '帮我转一下人工服务'];

/** Matters a citizen would rather talk through with a person. */
export const HANDOFF_TOPICS: { opening: string; lines: string[]; agent: string[]; category: string }[] = [
  {
    opening: '我父亲去世了，想问问他的养老金和公积金怎么处理',
    lines: ['我父亲上个月去世了，他的养老保险个人账户和公积金要怎么办理继承？', '需要我们家属带哪些材料？'],
    agent: [
      '您好，请节哀。养老保险个人账户余额和住房公积金都可以由继承人申领，需要分别到社保经办机构和公积金中心办理。',
      '一般需要死亡证明、继承人身份证、亲属关系证明，公积金还需要继承权公证或法院文书。我把两个部门的地址发给您。',
    ],
    category: '05.02.02',
  },
  {
    opening: '我的医保报销被退回来了，说材料不全，我不知道还缺什么',
    lines: ['我在外地住院回来报销，医保窗口说材料不全给退回来了', '发票和出院小结都交了，还缺什么呢？'],
    agent: [
      '您好，异地住院回来手工报销，除了发票和出院小结，还需要费用明细清单和异地就医备案记录。',
      '您可以先在医保App上补办备案，再带齐费用明细清单到窗口重新提交，一般15个工作日内到账。',
    ],
    category: '08.02.01',
  },
  {
    opening: '我家孩子明年上小学，户口和房子不在一个区，不知道该怎么报名',
    lines: ['孩子户口在南湖区，房子买在临江区，明年上小学该在哪边报名？', '那要准备哪些证明材料？'],
    agent: [
      '您好，义务教育入学一般以实际居住地划片，房产在临江区的，可以向临江区教育局申请入学。',
      '需要孩子户口簿、房产证或不动产权证、监护人身份证，跨区的还要提供居住证明。报名时间以区教育局公告为准。',
    ],
    category: '07.01.01',
  },
  {
    opening: '公司给我交的社保基数好像不对，我想找人问问',
    lines: ['我工资八千多，但社保按最低基数交的，这样合法吗？', '我可以去哪里投诉？'],
    agent: [
      '您好，用人单位应按职工实际工资申报社保缴费基数，按最低基数缴纳不符合规定。',
      '您可以向劳动保障监察部门投诉，也可以由我为您登记工单转给人社部门核查，需要您提供单位名称。',
    ],
    category: '05.02.01',
  },
  {
    opening: '房东不退押金，我想找人工问问该怎么办',
    lines: ['我租的房子到期退租了，房东找各种理由扣押金，三千块一分不退', '那我应该先找谁？需要准备什么证据？'],
    agent: [
      '您好，押金纠纷可以先和房东协商，协商不成可以向房屋所在街道的人民调解委员会申请调解，也可以向法院起诉。',
      '建议您保留租赁合同、押金收据、退房时的交接记录和照片，以及和房东的聊天记录。',
    ],
    category: '06.04.01',
  },
  {
    opening: '我想用公积金贷款买二手房，流程有点复杂，想问问人工',
    lines: ['夫妻双方都有公积金，买二手房能贷多少？', '审批一般要多久？'],
    agent: [
      '您好，公积金贷款额度与夫妻双方的缴存余额和缴存年限有关，最高额度以公积金中心当年公布的标准为准。',
      '材料齐全的话一般15个工作日左右审批，二手房还要等评估和过户完成后放款。',
    ],
    category: '06.01.01',
  },
  {
    opening: '家里老人想办残疾证，不知道去哪里鉴定',
    lines: ['我父亲中风后行动不便，想给他办个残疾证，去哪里做鉴定？', '办下来以后有什么补贴吗？'],
    agent: [
      '您好，可以先到户籍所在地的社区或街道残联申请，领取评定表后到指定医院做残疾评定。',
      '持证后可以按规定申请困难残疾人生活补贴和重度残疾人护理补贴，由区残联和民政部门审核。',
    ],
    category: '11.03.01',
  },
];

export const THANKS = ['谢谢', '好的，谢谢', '明白了，谢谢你们', '好的，知道了，谢谢', '辛苦了，谢谢'];
export const CONFIRMS = ['确认', '对的，提交吧', '没问题', '好的，确认', '是的'];
export const FOLLOW_UPS = ['那需要带什么材料？', '大概要多久能办好？', '在哪里办理？', '需要多少钱？'];
export const GREETINGS = ['你好', '您好', '在吗', '你好，请问'];
export const CONSULT_PREFIXES = ['', '', '请问', '你好，', '想咨询一下，', '您好，请问', '问一下，'];

/** What a citizen says about an earlier ticket before giving its number. */
export const STATUS_OPENINGS = [
  '我前几天投诉的那个事有人管了吗',
  '帮我查一下工单进度',
  '上周反映的问题处理得怎么样了',
  '我之前登记的工单现在到哪一步了',
];

/** An agent's lines for a conversation with no scripted topic. */
export const GENERIC_AGENT = [
  '您好，我是12345热线坐席，您说的情况我已经看到了，请问还有什么需要补充的吗？',
  '好的，这个问题我帮您记录下来，会转给相关部门尽快处理，请保持电话畅通。',
];
/** An agent's answers to a question the knowledge base could not settle. */
export const QUESTION_AGENT = [
  '您好，您问的这个问题知识库里暂时没有现成的答复，我帮您向相关部门核实一下。',
  '已经帮您记录下来了，核实后会通过这个渠道或电话答复您，请您留意。',
];
export const GENERIC_CITIZEN = ['就是刚才说的那个问题，麻烦尽快处理', '好的，谢谢'];
export const TRANSFER_LINE = '这个问题需要负责该业务的同事来为您解答，我帮您转接过去，请稍候。';
export const AFTER_TRANSFER = '你好，我刚才说的问题麻烦你看一下';
export const SATISFACTION_WORDS: Record<1 | 2 | 3, string[]> = {
  1: ['1', '1 满意', '满意'],
  2: ['2', '基本满意', '2 基本满意'],
  3: ['3', '不满意', '3'],
};
