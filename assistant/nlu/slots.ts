/**
 * The case record's fields as a citizen gives them, in any order and any turn: name, phone, ID number,
 * district and address, when it happened, the organisation involved. Rules over the text (numbers have
 * a grammar; addresses in China end in 路/街/号/栋…); a model could do better on free phrasing and may be
 * added behind the same function.
 */

export interface Slots {
  name: string;
  phone: string;
  idNumber: string;
  district: string;
  address: string;
  occurred: string;
  organisation: string;
}

export type SlotName = keyof Slots;

export interface Extraction {
  slots: Partial<Slots>;
  /** Digits that look meant as a phone number but are not a valid one (to be asked again). */
  invalidPhone?: string;
  /** The citizen wants to stay anonymous (匿名, 不留名字). */
  anonymous: boolean;
  /** The citizen says something given before was wrong (不对，地址是…). */
  correction: boolean;
}

/** The demo city's districts (sample data; a city configures its own). */
export const DISTRICTS = ['东城区', '西城区', '南湖区', '北苑区', '临江区', '南港区', '高新区', '滨海新区'] as const;

const MOBILE = /(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)/;
const LANDLINE = /(?<!\d)(0\d{2,3})[- ]?(\d{7,8})(?!\d)/;
/** A run of digits (with separators) long enough to be meant as a phone number. */
const PHONE_LIKE = /(?<!\d)\+?\d[\d -]{4,16}\d(?!\d)/;
const PHONE_CUE = /(电话|手机|号码|联系方式|座机|打我|联系我)/;
const ID_NUMBER = /(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])/;

const NAME_PATTERNS: RegExp[] = [
  /(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名(?:是|[:：])?|叫我)\s*([\p{Script=Han}]{2,4}?)(?=[，,。.\s\d]|电话|手机|$)/u,
  /(?:联系人(?:是|叫)?|名字(?:就)?写(?:成)?|姓名(?:就)?写(?:成)?)[:：\s]*([\p{Script=Han}]{2,4}?)(?=吧|[，,。.\s\d]|电话|手机|$)/u,
  // A corrected name: "名字错了，是许雯，雨字头的雯".
  /(?:名字|姓名)[^，,。]{0,4}[，,]\s*(?:是|叫|应该是)([\p{Script=Han}]{2,4}?)(?=[，,。.\s\d]|$)/u,
  /(?:我是|本人)([\p{Script=Han}]{2,3}?)(?=[，,。.\s\d]|电话|手机|$)/u,
];
/** "我姓王", "姓姚": a surname after 我/本人 or at the start of a clause (not 百姓, 贵姓). */
const SURNAME = /(?:我|本人|^|[，,\s])姓(?![名氏])([\p{Script=Han}])/u;
const TITLED = /(?<![\p{Script=Han}])([\p{Script=Han}])(先生|女士|小姐)/u;
const MALE = /(先生|男的|男士|是男|，男|,男|\s男(?![\p{Script=Han}])|我是[^，,。]{0,4}(爸爸|父亲|爷爷|外公|儿子))/u;
const FEMALE =
  /(女士|小姐|女的|是女|，女|,女|\s女(?![\p{Script=Han}])|石女|我是[^，,。]{0,4}(妈妈|母亲|奶奶|外婆|女儿))/u;
/** What "我是…" says when it is not a name. */
const NOT_A_NAME = /^(市民|居民|业主|住户|租户|家长|学生|老人|一个|这里|孩子|他们|她们|外地|本地|附近|楼上|楼下|隔壁)/;

/**
 * Words that end a Chinese address element: roads, numbers, buildings, places. Longer words come first
 * (路口 before 路), and 路 is not the start of 路灯 or 路面.
 */
const ADDRESS_END =
  /(路口|交叉口|门口|村口|巷口|街口|桥头|[A-Za-z]\d*(?:出口|入口)|出口|入口|[\d一二三四五六七八九十]+楼(?![下上道顶梯])|号院|号楼(?![下上])|号|路(?![灯面边上旁过费况线牌段])|大街|大道|街(?![上边头灯])|巷|弄|胡同|栋|幢|单元|室|小区|花园|家园|新村|公寓|苑|村|大厦|广场|中心|市场|学校|小学|中学|幼儿园|医院|公园|商场|园区|图书馆|体育馆|博物馆|文化馆|馆|站)(?:\d+(?![\d楼层]))?/gu;
const STREET_NUMBER = /[\p{Script=Han}]{2,6}?(?:路|街|大道|大街|巷)[\d零一二三四五六七八九十百两]+号/u;
/** Words after which an address follows; a clause that starts with 是 corrects one ("说错了，是翠竹苑8号楼"). */
const ADDRESS_CUE = /(地址是|地址|住在|住址|位于|在|^\s*(?:应该)?是)/;
/** Words before an address that are not part of it ("具体是文华路56号", "应该是梧桐巷17号"). */
const ADDRESS_LEAD = /^(?:具体(?:地址)?(?:是|在)?|地址(?:应该)?是|应该是|就是|是在|是|在|位于)/;
/** Spoken fillers inside an address ("海港大道那个海港小区"). */
const ADDRESS_FILLER = /(那个|这个|那边的?|这边的?|就是)/g;
const ANONYMOUS =
  /(匿名|不留名|(名字|姓名)(就|也)?不(用|必|想)?留|不(用|必|想)留(名字|姓名)|不方便(留|透露)(名字|姓名))/;
/** "不对", "说错了", "应该是"…; not "没错了". */
const CORRECTION = /(不对|(?<![没不])错了|说错|更正|改一下|改成|应该是|重新说|不是这个)/;
const OCCURRED =
  /(今天|昨天|前天|今晚|昨晚|前晚|刚才|刚刚|上午|下午|中午|晚上|凌晨|半夜|深夜|每天|天天|每晚|周末|最近|这几天|上周|上个月|这个月|\d{1,2}月\d{1,2}[日号]|\d{1,2}[点:：]\d{0,2})[^，,。.；;！!？?]{0,10}/u;
const ORGANISATION =
  /([\p{Script=Han}A-Za-z0-9]{2,14}?(?:有限公司|公司|集团|超市|商场|物业|医院|学校|幼儿园|培训机构|培训班|酒店|宾馆|饭店|餐厅|餐馆|银行|驾校|健身房|KTV|网吧|工地|工厂|物流|门店|店))/u;

const CLAUSE = /[，,。；;！!？?\n]+/;

export function extractSlots(text: string, expecting?: SlotName): Extraction {
  const slots: Partial<Slots> = {};
  const result: Extraction = {
    slots,
    anonymous: ANONYMOUS.test(text),
    correction: CORRECTION.test(text),
  };

  const idMatch = ID_NUMBER.exec(text);
  if (idMatch && validIdNumber(idMatch[1]!)) slots.idNumber = idMatch[1]!.toUpperCase();
  const withoutId = idMatch ? text.replace(idMatch[0], ' ') : text;
  const mobile = MOBILE.exec(withoutId);
  const landline = LANDLINE.exec(withoutId);
  if (mobile) slots.phone = mobile[1]! + mobile[2]! + mobile[3]!;
  else if (landline) slots.phone = `${landline[1]}-${landline[2]}`;
  else {
    const digits = PHONE_LIKE.exec(withoutId);
    if (digits && (expecting === 'phone' || PHONE_CUE.test(withoutId))) result.invalidPhone = digits[0];
  }

  const name = extractName(text, expecting);
  if (name) slots.name = name;

  const district = DISTRICTS.find((d) => text.includes(d));
  if (district) slots.district = district;
  const address = extractAddress(text, district, expecting === 'address');
  if (address) slots.address = address;

  const occurred = OCCURRED.exec(text);
  if (occurred) slots.occurred = occurred[0];
  const organisation = ORGANISATION.exec(text);
  if (organisation && !/^(我们|这家|那家|一家|这个|那个)$/.test(organisation[1]!)) {
    slots.organisation = organisation[1]!.replace(/^(我代表|代表|投诉|举报|反映|一家|这家|那家|那个|这个)/, '');
  }
  return result;
}

function extractName(text: string, expecting?: SlotName): string | undefined {
  const surname = SURNAME.exec(text)?.[1];
  const titled = TITLED.exec(text);
  if (surname || titled) {
    const family = surname ?? titled![1]!;
    const title =
      titled && titled[1] === family ? titled[2]! : MALE.test(text) ? '先生' : FEMALE.test(text) ? '女士' : '';
    return `${family}${title === '小姐' ? '女士' : title}`;
  }
  for (const pattern of NAME_PATTERNS) {
    const match = pattern.exec(text);
    if (match && !NOT_A_NAME.test(match[1]!)) return match[1];
  }
  // Asked for a name, the citizen may answer with just it: "陈志强，15988886666", "沈军 18811112222".
  if (expecting === 'name' || expecting === 'phone') {
    const first = /^([\p{Script=Han}]{2,4})(?=[\s,，。\d]|$)/u.exec(text.trim())?.[1];
    if (first && !/(好的|可以|没有|不用|不想|匿名|确认|对的|电话|手机)/.test(first)) return first;
  }
  return undefined;
}

/**
 * The address: from the district when one is named (else from a cue such as 地址是/住在/在) to the
 * last road, number, building or place word within the clause. With `expecting`, a clause with such a
 * word is taken even without a cue. Of several clauses with an address, the one with a house number
 * wins ("海湾小学，在海湾路2号"); spoken numbers before 号 become digits ("一百二十号" → "120号").
 */
function extractAddress(text: string, district: string | undefined, expecting: boolean): string | undefined {
  const candidates: string[] = [];
  for (const clause of text.split(CLAUSE)) {
    let start = district ? clause.lastIndexOf(district) : -1;
    if (start < 0) {
      const cue = ADDRESS_CUE.exec(clause);
      // A street number is an address wherever it stands ("就在文华路56号").
      const street = STREET_NUMBER.exec(clause.slice(cue ? cue.index + cue[0].length : 0));
      if (cue) start = cue.index + cue[0].length;
      else if (street) start = street.index;
      else if (expecting) start = 0;
      else continue;
    }
    const span = clause.slice(start, start + 30);
    let end = -1;
    for (const match of span.matchAll(ADDRESS_END)) end = match.index + match[0].length;
    if (end <= 0) continue;
    const head = district && span.startsWith(district) ? district : '';
    const rest = span
      .slice(head.length, end)
      .trim()
      .replace(ADDRESS_LEAD, '')
      .replace(ADDRESS_FILLER, '')
      .replace(/([零一二三四五六七八九十百两]+)号/gu, (whole, spoken: string) => {
        const n = chineseNumber(spoken);
        return n === undefined ? whole : `${n}号`;
      });
    const candidate = head + rest;
    // A district alone is the district slot, not an address.
    if (rest && [...candidate].length >= 3) candidates.push(candidate);
  }
  return candidates.find((c) => /\d号/.test(c)) ?? candidates[0];
}

const DIGITS: Record<string, number> = { 零: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** 一百二十 → 120, 三十五 → 35, 十二 → 12, 二零八 → 208; undefined when it is not a number. */
export function chineseNumber(spoken: string): number | undefined {
  if (!/[十百千]/.test(spoken)) {
    // Read digit by digit, as house numbers are said ("二零八号").
    const digits = [...spoken].map((c) => DIGITS[c]);
    return digits.every((d) => d !== undefined) ? Number(digits.join('')) : undefined;
  }
  let total = 0;
  let current = 0;
  for (const c of spoken) {
    if (c in DIGITS) current = DIGITS[c]!;
    else if (c === '十' || c === '百' || c === '千') {
      const unit = c === '十' ? 10 : c === '百' ? 100 : 1000;
      total += (current || 1) * unit;
      current = 0;
    } else return undefined;
  }
  return total + current;
}

/** GB 11643 check digit: the weighted sum of the first 17 digits picks it. */
export function validIdNumber(id: string): boolean {
  if (!/^\d{17}[\dXx]$/.test(id)) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((s, w, i) => s + w * Number(id[i]), 0);
  return '10X98765432'[sum % 11] === id[17]!.toUpperCase();
}

/** Shown back to the citizen and agents: the first 4 and last 4 characters only. */
export const maskIdNumber = (id: string) => `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
