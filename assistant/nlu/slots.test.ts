import { describe, expect, it } from 'vitest';
import { extractSlots, maskIdNumber, validIdNumber } from './slots.js';

describe('extractSlots', () => {
  it('takes everything a citizen gives in one message', () => {
    const { slots } = extractSlots(
      '楼下烧烤油烟太大了，地址是西城区杏林街9号，我叫李秀兰，手机135-8765-4321，昨晚十点开始的',
    );
    expect(slots).toMatchObject({
      district: '西城区',
      address: '西城区杏林街9号',
      name: '李秀兰',
      phone: '13587654321',
      occurred: '昨晚十点开始的',
    });
  });

  it('reads landlines, and tells an invalid number from no number', () => {
    expect(extractSlots('我姓马是个男的家里座机0571-87654321').slots).toMatchObject({
      phone: '0571-87654321',
      name: '马先生',
    });
    expect(extractSlots('电话是139123')).toMatchObject({ invalidPhone: '139123', slots: {} });
    expect(extractSlots('139123', 'phone').invalidPhone).toBe('139123');
    expect(extractSlots('小区有123户人家').invalidPhone).toBeUndefined();
  });

  it('takes a bare name or address when that is what was asked', () => {
    expect(extractSlots('沈军 18811112222', 'name').slots).toMatchObject({ name: '沈军', phone: '18811112222' });
    expect(extractSlots('光明路33号', 'address').slots.address).toBe('光明路33号');
    expect(extractSlots('东城区和平路8号阳光小区5栋2单元').slots.address).toBe('东城区和平路8号阳光小区5栋2单元');
    // "18号楼下" is below number 18, not a building called 18号楼.
    expect(extractSlots('南湖区翠湖路18号楼下的KTV天天半夜唱歌').slots.address).toBe('南湖区翠湖路18号');
  });

  it('notices corrections and anonymity', () => {
    expect(extractSlots('不对，地址是翠湖路28号')).toMatchObject({
      correction: true,
      slots: { address: '翠湖路28号' },
    });
    expect(extractSlots('名字就不留了，电话13988887777')).toMatchObject({ anonymous: true });
  });

  it('keeps only ID numbers whose check digit is right, and masks them for display', () => {
    expect(validIdNumber('11010519491231002X')).toBe(true);
    expect(validIdNumber('110105194912310021')).toBe(false);
    expect(extractSlots('身份证11010519491231002X').slots.idNumber).toBe('11010519491231002X');
    expect(extractSlots('身份证110105194912310021').slots.idNumber).toBeUndefined();
    expect(maskIdNumber('11010519491231002X')).toBe('1101**********002X');
  });
});

describe('extractSlots on spoken and corrected details', () => {
  it('drops lead-in words and fillers from an address and keeps the floor', () => {
    expect(extractSlots('具体是文华路56号二楼', 'address').slots.address).toBe('文华路56号二楼');
    expect(extractSlots('地址说错了，应该是梧桐巷17号3楼').slots.address).toBe('梧桐巷17号3楼');
    expect(extractSlots('南港区海港大道那个海港小区').slots.address).toBe('南港区海港大道海港小区');
    expect(extractSlots('南湖区菜市场就是南湖区新华路那个新华农贸市场').slots.address).toBe('南湖区新华路新华农贸市场');
  });

  it('prefers the clause with a house number, and writes spoken numbers as digits', () => {
    expect(extractSlots('南港区海湾小学，在南港区海湾路2号').slots.address).toBe('南港区海湾路2号');
    expect(extractSlots('滨江路一百二十号门口', 'address').slots.address).toBe('滨江路120号门口');
  });

  it('ends an address at a junction, an exit or a village entrance, not at 路灯', () => {
    expect(extractSlots('南湖区翠湖路和湖滨路的路口').slots.address).toBe('南湖区翠湖路和湖滨路的路口');
    expect(extractSlots('滨海新区盐田村村口').slots.address).toBe('滨海新区盐田村村口');
    expect(extractSlots('具体在临海路地铁站C出口', 'address').slots.address).toBe('临海路地铁站C出口');
    expect(extractSlots('高新区创新路和科技二路路口的几盏路灯晚上都不亮了').slots.address).toBe(
      '高新区创新路和科技二路路口',
    );
    expect(extractSlots('北苑区图书馆').slots.address).toBe('北苑区图书馆');
  });

  it('reads a surname after a relationship, and a corrected name', () => {
    expect(extractSlots('我是孩子妈妈，姓姚，电话15922223333').slots).toMatchObject({
      name: '姚女士',
      phone: '15922223333',
    });
    expect(extractSlots('名字错了，是许雯，雨字头的雯')).toMatchObject({ correction: true, slots: { name: '许雯' } });
    expect(extractSlots('姓名：张三').slots.name).toBe('张三');
  });

  it('does not take "没错了" for a correction', () => {
    expect(extractSlots('对，这次没错了').correction).toBe(false);
  });
});

describe('chineseNumber', () => {
  it('reads spoken numbers', async () => {
    const { chineseNumber } = await import('./slots.js');
    expect([
      chineseNumber('一百二十'),
      chineseNumber('十二'),
      chineseNumber('三十五'),
      chineseNumber('二零八'),
    ]).toEqual([120, 12, 35, 208]);
    expect(chineseNumber('几')).toBeUndefined();
  });
});

describe('extractSlots on names and anonymity said in other words', () => {
  it('reads a contact person and a name to write down', () => {
    expect(extractSlots('联系人陈思远，电话13066668888').slots.name).toBe('陈思远');
    expect(extractSlots('名字写曹雅琴吧').slots.name).toBe('曹雅琴');
    expect(extractSlots('不用留名字了，电话18911223344').anonymous).toBe(true);
  });

  it('keeps a building number but not "楼下"', () => {
    expect(extractSlots('南湖区翠竹苑7号楼').slots.address).toBe('南湖区翠竹苑7号楼');
    expect(extractSlots('东城区长安里小区五号楼').slots.address).toBe('东城区长安里小区5号楼');
  });
});

describe('extractSlots on corrections without a cue word', () => {
  it('reads "是…" after a correction as the address, and drops "我代表" from an organisation', () => {
    expect(extractSlots('不好意思说错了，是翠竹苑8号楼')).toMatchObject({
      correction: true,
      slots: { address: '翠竹苑8号楼' },
    });
    expect(extractSlots('我代表北苑区晨光印刷有限公司提个建议').slots.organisation).toBe('北苑区晨光印刷有限公司');
  });
});
