/** Citizen-facing text. zh-CN is the default; en is the second language. */
export type Locale = 'zh-CN' | 'en';

const MESSAGES = {
  'zh-CN': {
    welcome:
      '您好，这里是12345政务服务便民热线在线服务。请直接描述您要咨询或反映的事项，例如“社保卡丢了怎么补办”。如遇火灾、治安、急救或交通事故等紧急情况，请立即拨打119、110、120或122。',
    answerSource: (source: string) => `（来源：${source}）`,
    askHelpful: '以上答复是否解决了您的问题？',
    whichOne: '您是想咨询以下哪个问题？请点选，或换个说法补充细节。',
    noAnswer:
      '抱歉，我暂时没有找到与您的问题相符的答复。您可以换个说法再问一次，或者补充更多细节（事项、地点、时间）。',
    noAnswerAgain: '仍然没有找到合适的答复。您可以输入“人工”转接人工坐席，或输入“登记”由我为您登记工单。',
    helpfulYes: '已解决',
    helpfulNo: '没有解决',
    thanks: '感谢您的反馈，祝您生活愉快！如还有其他问题，欢迎随时咨询。',
    notHelped: '很抱歉没能帮到您。您可以补充更多细节再问一次，也可以输入“人工”转接人工坐席，或输入“登记”为您登记工单。',
    emptyMessage: '请用文字描述您的问题，我们会尽快为您解答。',
    unsupported: '目前在线服务只能处理文字消息，请用文字描述您的问题。',
    emergency: {
      fire: '情况紧急！请立即拨打119火警电话。请迅速撤离到安全地带，不要乘坐电梯，用湿毛巾捂住口鼻、低姿前进；不要返回取物。',
      gas: '情况紧急！请立即拨打119。不要开关任何电器、不要打电话或点火（在室外安全处再拨打），打开门窗通风，关闭燃气总阀，迅速离开。',
      trapped: '情况紧急！请立即拨打119求助。被困人员请保持冷静，不要强行扒门或攀爬，尽量保持通讯畅通、告知准确位置。',
      crime: '情况紧急！请立即拨打110报警。请先确保自身安全，远离危险人员，不要与其正面冲突，记住对方特征和去向。',
      suicide:
        '您的安全最重要。如有人正面临生命危险，请立即拨打110或120。如果您感到痛苦、想要伤害自己，请拨打全国心理援助热线12356，我们也会马上安排工作人员联系您。',
      medical:
        '情况紧急！请立即拨打120急救电话，说清地址和病人情况。在等待时不要随意搬动病人，保持呼吸道通畅，按调度员指导施救。',
      traffic:
        '情况紧急！请立即拨打122（有人受伤请同时拨打120）。开启危险报警灯、在来车方向放置警告标志，人员撤到护栏外，不要随意移动伤员。',
    },
    emergencyFollowUp: '我们已将本次会话标记为紧急并通知人工坐席跟进。',
    refused: {
      litigation:
        '您反映的事项已进入司法程序（诉讼或执行），依规不属于12345热线受理范围。请通过审理或执行该案的人民法院反映，或咨询您的代理律师。',
      arbitration:
        '您反映的事项已进入仲裁程序，依规不属于12345热线受理范围。请向受理该案的仲裁委员会反映进展或提出意见。',
      reconsideration:
        '您反映的事项已申请行政复议，依规不属于12345热线受理范围。请向复议机关了解办理进度，对复议决定不服的可依法提起诉讼。',
      petition:
        '您反映的事项已在信访渠道办理，依规不属于12345热线重复受理范围。请向受理您信访事项的信访部门了解办理情况。',
      discipline:
        '涉及党员干部、公职人员违纪违法的问题，请向纪检监察机关反映：拨打12388举报电话或登录纪委监委举报网站。',
      disclosure:
        '政府信息公开申请请按《政府信息公开条例》向掌握该信息的行政机关提出（可通过其门户网站“依申请公开”栏目或书面申请），12345热线不代为受理。',
    },
    handoff: '好的，正在为您转接人工坐席，请稍候。坐席接通后将看到您刚才的对话内容，无需重复描述。',
    queuePosition: (position: number) =>
      `您前面还有${position - 1}位市民在等待，请稍候。如不想等待，可以输入“登记”，由我为您登记工单，工作人员会在办理时限内回复您。`,
    agentJoined: (name: string) => `人工坐席${name}已为您接入，请问有什么可以帮您？`,
    departmentJoined: (department: string) => `${department}的工作人员已加入本次会话，将与坐席一起为您处理。`,
    transferred: '正在为您转接其他坐席，请稍候，您的对话记录会一并转交。',
    agentClosed: '本次人工服务已结束，感谢您的来电来信。如还有其他问题，欢迎随时咨询。',
    satisfactionQuestion: '人工服务已结束。请您对本次服务进行评价：回复 1 满意、2 基本满意、3 不满意。',
    satisfactionThanks: '感谢您的评价！如还有其他问题，欢迎随时咨询。',
    satisfactionOptions: ['1 满意', '2 基本满意', '3 不满意'],
    closing: '不客气，感谢您使用12345热线。如还有其他问题，欢迎随时咨询。',
    askDetails: '请具体说说您要咨询或反映的事情：是什么问题，在哪里，什么时候发生的。',
    clarifyType: '请问您是想咨询政策办事，还是要反映一个问题（投诉、求助、举报或建议）？',
    clarifyCategory: '为了转给正确的部门，请问您反映的问题属于以下哪一类？也可以再具体描述一下。',
    ask: {
      district: '请问事发地点在哪个区？',
      address: '请告诉我具体地址（路名、门牌号或小区、楼栋）。',
      name: '请问您怎么称呼？（举报和建议可以选择匿名）',
      nameRequired: '这类问题需要留下您的姓名才能办理，请问您怎么称呼？',
      phone: '请留下您的联系电话（手机或带区号的座机），方便部门回复您。',
      invalidPhone: (digits: string) =>
        `“${digits}”不是有效的电话号码。请提供11位手机号，或带区号的座机号码（如0571-87654321）。`,
    },
    confirm: (lines: string) =>
      `请核对以下信息：\n${lines}\n如无误请回复“确认”，需要修改请直接说明（如“地址应该是……”）。`,
    confirmYes: '确认',
    confirmNo: '修改',
    summary: {
      demandType: '诉求类型',
      category: '问题分类',
      description: '问题描述',
      address: '地点',
      occurred: '发生时间',
      organisation: '涉及单位',
      name: '联系人',
      phone: '联系电话',
      idNumber: '证件号码',
      anonymous: '匿名',
    },
    demandTypes: {
      consultation: '咨询',
      help: '求助',
      complaint: '投诉',
      report: '举报',
      suggestion: '意见建议',
      praise: '表扬',
    },
    registered: (number: string, days: number, deadline: string) =>
      `已为您登记工单，编号${number}。承办部门将在${days}个工作日内（${deadline}前）办理并答复您。您可随时发送工单编号和联系电话查询进度。`,
    duplicate: (number: string) =>
      `您反映的问题已有市民反映过（工单${number}），正在办理中，已将您的反映一并合并处理。`,
    statusAskNumber: '请提供工单编号（如12345-20261120-000042）和登记时留的联系电话。',
    statusAskPhone: '请提供登记工单时留的联系电话，用于核实身份。',
    statusLine: (number: string, status: string, deadline: string) => `${number}：${status}，办理时限${deadline}`,
    statusList: (lines: string) =>
      `您名下未办结的工单：\n${lines}\n如需查询其他工单，请提供工单编号和登记时留的联系电话。`,
    statusFound: (number: string, status: string, deadline: string, department: string) =>
      `工单${number}当前状态：${status}。承办部门：${department}。办理时限：${deadline}。`,
    statusNotFound: '没有查到与该编号和电话对应的工单，请核对后重新输入。',
    ticketStatus: {
      draft: '草稿',
      registered: '已登记',
      dispatched: '已派发',
      in_progress: '办理中',
      extension_requested: '申请延期中',
      resolved: '已办结',
      callback: '回访中',
      closed: '已结案',
    },
    pendingDepartment: '待分派',
  },
  en: {
    welcome:
      'Hello, this is the 12345 government service hotline online service. Please describe what you would like to ask or report. In an emergency (fire, crime, medical, traffic accident) call 119, 110, 120 or 122 now.',
    answerSource: (source: string) => ` (Source: ${source})`,
    askHelpful: 'Did this answer your question?',
    whichOne: 'Which of these do you mean? Pick one, or rephrase with more detail.',
    noAnswer:
      'Sorry, I could not find an answer that matches your question. Please try rephrasing it or add details (what, where, when).',
    noAnswerAgain: 'Still no matching answer. Type "agent" to talk to a person, or "ticket" to register a case.',
    helpfulYes: 'Yes, solved',
    helpfulNo: 'No',
    thanks: 'Thank you for your feedback. Feel free to ask if you have other questions.',
    notHelped:
      'Sorry that did not help. Add more details and ask again, type "agent" to talk to a person, or "ticket" to register a case.',
    emptyMessage: 'Please describe your question in text and we will answer shortly.',
    unsupported: 'The online service handles text messages only. Please describe your question in text.',
    emergency: {
      fire: 'Emergency! Call 119 (fire) now. Get out to a safe place, do not use lifts, cover your mouth and nose with a wet cloth and stay low; do not go back for belongings.',
      gas: 'Emergency! Call 119 now. Do not switch any electrical device on or off, do not use a phone or a flame inside (call from a safe place outside), open windows, shut the main gas valve and leave.',
      trapped:
        'Emergency! Call 119 now. Stay calm, do not force the doors or climb out, keep your phone on and give your exact location.',
      crime:
        'Emergency! Call 110 (police) now. Keep yourself safe first, stay away from the attacker, do not confront them, and note what they look like and where they go.',
      suicide:
        'Your safety matters most. If a life is in danger call 110 or 120 now. If you are in pain and thinking of hurting yourself, call the national mental health hotline 12356; a staff member will also contact you right away.',
      medical:
        "Emergency! Call 120 (ambulance) now and give the address and the patient's condition. Do not move the patient unnecessarily, keep the airway clear and follow the dispatcher.",
      traffic:
        'Emergency! Call 122 now (and 120 if anyone is injured). Switch on hazard lights, place a warning triangle behind the vehicle, move people behind the barrier and do not move the injured.',
    },
    emergencyFollowUp: 'This conversation is flagged as urgent and a staff member has been alerted.',
    refused: {
      litigation:
        'This matter is before a court, so the 12345 hotline cannot accept it. Please contact the court hearing or enforcing the case, or your lawyer.',
      arbitration:
        'This matter is in arbitration, so the 12345 hotline cannot accept it. Please contact the arbitration commission handling it.',
      reconsideration:
        'This matter is under administrative reconsideration, so the 12345 hotline cannot accept it. Please ask the reconsideration authority about its progress.',
      petition:
        'This matter is being handled through the letters-and-visits channel, so the 12345 hotline cannot accept it again. Please ask the letters-and-visits office handling it.',
      discipline:
        'Misconduct by officials or party members is handled by the discipline inspection and supervision commission: call 12388 or use its reporting website.',
      disclosure:
        'Requests for government information disclosure go to the agency that holds the information (through its disclosure-on-request channel); the 12345 hotline cannot accept them.',
    },
    handoff:
      'Connecting you to a staff member now. They will see this conversation, so you do not need to repeat yourself.',
    queuePosition: (position: number) =>
      `${position - 1} citizen(s) are waiting ahead of you; please hold on. If you prefer not to wait, type "register" and I will take down a ticket; staff will reply within the deadline.`,
    agentJoined: (name: string) => `${name} from the hotline has joined. How can I help you?`,
    departmentJoined: (department: string) =>
      `Staff from ${department} have joined this conversation to help with your matter.`,
    transferred: 'Transferring you to another staff member; your conversation goes with you. Please hold on.',
    agentClosed: 'This conversation with our staff has ended. Thank you for contacting the 12345 hotline.',
    satisfactionQuestion:
      'Our staff have finished. How satisfied are you with the service? Reply 1 satisfied, 2 fairly satisfied, 3 dissatisfied.',
    satisfactionThanks: 'Thank you for your feedback! Feel free to ask anything else.',
    satisfactionOptions: ['1 satisfied', '2 fairly satisfied', '3 dissatisfied'],
    closing: 'You are welcome. Thank you for contacting the 12345 hotline; feel free to ask anything else.',
    askDetails: 'Please tell me what it is about: what the problem is, where, and since when.',
    clarifyType:
      'Would you like information about a policy or procedure, or to report a problem (complaint, request for help, report, suggestion)?',
    clarifyCategory: 'To pass this to the right department: which of these fits best? Or describe it in more detail.',
    ask: {
      district: 'Which district did it happen in?',
      address: 'What is the exact address (street and number, or estate and building)?',
      name: 'How should we address you? (Reports and suggestions may stay anonymous.)',
      nameRequired: 'This kind of case needs your name to be handled. How should we address you?',
      phone: 'Please leave a contact number (a mobile, or a landline with area code) for the reply.',
      invalidPhone: (digits: string) =>
        `"${digits}" is not a valid phone number. Please give an 11-digit mobile number or a landline with area code (e.g. 0571-87654321).`,
    },
    confirm: (lines: string) => `Please check:\n${lines}\nReply "Confirm" if it is right, or tell me what to change.`,
    confirmYes: 'Confirm',
    confirmNo: 'Change',
    summary: {
      demandType: 'Type',
      category: 'Category',
      description: 'Description',
      address: 'Place',
      occurred: 'When',
      organisation: 'Organisation',
      name: 'Name',
      phone: 'Phone',
      idNumber: 'ID number',
      anonymous: 'anonymous',
    },
    demandTypes: {
      consultation: 'consultation',
      help: 'request for help',
      complaint: 'complaint',
      report: 'report',
      suggestion: 'suggestion',
      praise: 'praise',
    },
    registered: (number: string, days: number, deadline: string) =>
      `Your case is registered as ${number}. The department will handle it and reply within ${days} working day(s) (by ${deadline}). Send the number and your phone any time to check progress.`,
    duplicate: (number: string) =>
      `This problem has already been reported (case ${number}) and is being handled; your report has been added to it.`,
    statusAskNumber:
      'Please give the case number (e.g. 12345-20261120-000042) and the phone number you registered with.',
    statusAskPhone: 'Please give the phone number you registered the case with, to confirm it is yours.',
    statusLine: (number: string, status: string, deadline: string) => `${number}: ${status}, due ${deadline}`,
    statusList: (lines: string) =>
      `Your open cases:\n${lines}\nFor another case, give its number and the phone number you registered it with.`,
    statusFound: (number: string, status: string, deadline: string, department: string) =>
      `Case ${number}: ${status}. Department: ${department}. Due by ${deadline}.`,
    statusNotFound: 'No case matches that number and phone. Please check them and try again.',
    ticketStatus: {
      draft: 'draft',
      registered: 'registered',
      dispatched: 'dispatched',
      in_progress: 'in progress',
      extension_requested: 'extension requested',
      resolved: 'resolved',
      callback: 'follow-up call',
      closed: 'closed',
    },
    pendingDepartment: 'to be assigned',
  },
} as const;

/** String literals widened to string, so the English table fits the type the Chinese one defines. */
type Widen<T> = T extends string
  ? string
  : T extends (...args: infer A) => infer R
    ? (...args: A) => R
    : { readonly [K in keyof T]: Widen<T[K]> };

export type Messages = Widen<(typeof MESSAGES)['zh-CN']>;

export function resolveLocale(requested: string | null | undefined): Locale {
  return requested?.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

export const messagesFor = (locale: Locale): Messages => MESSAGES[locale] as Messages;
