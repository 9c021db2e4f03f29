import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../../test/support/gateway.js';

/**
 * The Wechaty channel through a whole gateway, driven by wechaty-puppet-mock: a citizen contact writes
 * to the bot's account, as on a phone, and reads what comes back.
 */
describe('Wechaty', () => {
  let gw: TestGateway;
  let mocker: mock.Mocker;
  let citizen: mock.ContactMock;
  let bot: mock.ContactMock;
  const received: string[] = [];

  beforeAll(async () => {
    mocker = new mock.Mocker();
    gw = await startTestGateway({ wechatyPuppet: new PuppetMock({ mocker }) });
    bot = mocker.createContact({ name: '12345热线' });
    citizen = mocker.createContact({ name: '李秀兰' });
    mocker.login(bot);
    // The mock contact is an event emitter whose typings leave out `on`.
    (citizen as unknown as NodeJS.EventEmitter).on('message', (message: mock.MessageMock) => {
      if (message.talker().id === bot.id) received.push(message.text() ?? '');
    });
  });
  afterAll(async () => gw?.cleanup());

  const say = async (text: string, expectReplies: number) => {
    const before = received.length;
    citizen.say(text).to(bot);
    await eventually(
      async () => (received.length >= before + expectReplies ? true : undefined),
      15_000,
      `replies to ${text}`,
    );
    return received.slice(before);
  };

  it('answers a consultation and takes a complaint end to end', async () => {
    const [answer, helpful] = await say('我在这边租房住，公积金能不能取出来交房租', 2);
    expect(answer).toContain('公积金');
    expect(helpful).toContain('以上答复是否解决了您的问题');

    const [asked] = await say('楼下烧烤店油烟太大了，每天晚上熏得家里全是烟味，地址是西城区杏林街9号，我叫李秀兰', 1);
    expect(asked).toMatch(/电话/);
    const [summary] = await say('13587654321', 1);
    expect(summary).toContain('请核对');
    const [registered] = await say('确认', 1);
    const number = /12345-\d{8}-\d{6}/.exec(registered!)![0];
    expect(await gw.tickets.get(number)).toMatchObject({
      demandType: 'complaint',
      channelId: 'wechaty',
      district: '西城区',
      name: '李秀兰',
      phone: '13587654321',
    });
  });
});
