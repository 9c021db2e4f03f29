/**
 * Invented citizens of the demo city: names, phones and places the assistant's slot rules recognise (the
 * districts are the NLU's own list). SAMPLE DATA: no real person, phone number or address.
 */
import { DISTRICTS } from '../../assistant/nlu/slots.js';
import type { Random } from './random.js';

export type District = (typeof DISTRICTS)[number];

/** Streets and residential estates of each district (invented). */
export const PLACES: Record<District, { streets: string[]; estates: string[] }> = {
  东城区: { streets: ['和平路', '东风街', '建设路', '朝阳街'], estates: ['东湖花园', '锦绣苑', '和平新村'] },
  西城区: { streets: ['文昌路', '西环路', '桂香街', '青年路'], estates: ['西苑小区', '金桂家园', '文昌公寓'] },
  南湖区: { streets: ['湖滨路', '南湖大道', '莲花街', '荷塘路'], estates: ['湖畔花园', '碧水苑', '莲花小区'] },
  北苑区: { streets: ['松柏街', '长青路', '北苑路', '银杏街'], estates: ['北苑新村', '松涛小区', '长青家园'] },
  临江区: { streets: ['江滨路', '临江大道', '望江街', '渡口路'], estates: ['江景家园', '临江花园', '望江小区'] },
  南港区: { streets: ['港湾路', '海港大道', '渔港街', '灯塔路'], estates: ['港城公寓', '海韵小区', '渔港新村'] },
  高新区: { streets: ['科技大道', '创新路', '软件园路', '智谷街'], estates: ['高新花园', '创业公寓', '智谷家园'] },
  滨海新区: { streets: ['滨海大道', '海滨路', '金沙街', '观澜路'], estates: ['滨海家园', '金沙苑', '观澜小区'] },
};

const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任',
];
const GIVEN = [
  '建国',
  '秀英',
  '志强',
  '丽娟',
  '海燕',
  '明辉',
  '晓东',
  '玉兰',
  '国庆',
  '婷婷',
  '文杰',
  '春梅',
  '伟',
  '静',
  '磊',
  '敏',
  '浩然',
  '雨欣',
  '子涵',
  '建军',
  '淑芬',
  '红霞',
  '立新',
  '思远',
];
const MOBILE_PREFIXES = [
  '138',
  '139',
  '136',
  '137',
  '135',
  '150',
  '151',
  '158',
  '159',
  '186',
  '187',
  '188',
  '177',
  '199',
];

export interface Persona {
  /** Full name (王建国), as written on a ticket. */
  fullName: string;
  surname: string;
  female: boolean;
  /** An 11-digit mobile number. */
  phone: string;
  district: District;
  street: string;
  /** A house number on `street`. */
  houseNumber: number;
  estate: string;
  building: number;
  /** WeChat's id of the follower (an openid-like string). */
  openId: string;
}

export function newPersona(random: Random, district?: District): Persona {
  const home = district ?? random.pick(DISTRICTS);
  const places = PLACES[home];
  const surname = random.pick(SURNAMES);
  const given = random.pick(GIVEN);
  const phone = random.pick(MOBILE_PREFIXES) + String(random.int(0, 99_999_999)).padStart(8, '0');
  const openId = `oDemo${Array.from({ length: 22 }, () => random.pick([...'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz0123456789'])).join('')}`;
  return {
    fullName: surname + given,
    surname,
    female: /[英娟燕兰婷梅静敏欣涵芬霞]/.test(given),
    phone,
    district: home,
    street: random.pick(places.streets),
    houseNumber: random.int(1, 260),
    estate: random.pick(places.estates),
    building: random.int(1, 28),
    openId,
  };
}

/** How the citizen gives a name when asked: the full name, or a surname with 先生/女士. */
export function nameAnswer(random: Random, p: Persona): string {
  const title = p.female ? '女士' : '先生';
  return random.pick([
    p.fullName,
    `我叫${p.fullName}`,
    `我姓${p.surname}，${p.surname}${title}`,
    `叫我${p.surname}${title}`,
    `${p.fullName}。`,
  ]);
}

export function phoneAnswer(random: Random, p: Persona): string {
  const spaced = `${p.phone.slice(0, 3)} ${p.phone.slice(3, 7)} ${p.phone.slice(7)}`;
  return random.pick([p.phone, `电话${p.phone}`, `我的手机是${p.phone}`, spaced, `打这个号码：${p.phone}`]);
}

/** The street address without the district (the assistant keeps the district it already knows). */
export function streetAddress(p: Persona): string {
  return `${p.street}${p.houseNumber}号`;
}

export function estateAddress(p: Persona): string {
  return `${p.estate}${p.building}栋`;
}

export function addressAnswer(random: Random, p: Persona): string {
  return random.pick([
    streetAddress(p),
    `在${streetAddress(p)}`,
    `${estateAddress(p)}`,
    `${p.district}${streetAddress(p)}`,
    `就在${p.estate}${p.building}栋楼下`,
  ]);
}

export function districtAnswer(random: Random, p: Persona): string {
  return random.pick([p.district, `在${p.district}`, `${p.district}的`, `是${p.district}`]);
}
