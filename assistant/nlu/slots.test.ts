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
