import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { loadTaxonomy, type Taxonomy } from '../../tickets/taxonomy.js';
import { TICKET_NUMBER_IN_TEXT } from '../../tickets/ticket-store.js';
import { CategoryClassifier } from './category-classifier.js';
import { detectEmergency, detectNonAcceptance, wantsHuman, type Emergency, type NonAcceptance } from './safety.js';
import { extractSlots, type Extraction, type SlotName } from './slots.js';
import { TextClassifier, type Classification, type LabelledText } from './text-classifier.js';

/** Everything the turn needs to know about one message, computed before the (pure) turn runs. */
export interface Analysis {
  emergency?: Emergency;
  wantsHuman: boolean;
  nonAcceptance?: NonAcceptance;
  /** A ticket number in the text (a status query), and a phone if given with it. */
  ticketNumber?: string;
  demandType: Classification;
  /** Undefined when no category shares a telling word with the text. */
  category?: Classification;
  extraction: Extraction;
}

const EXAMPLES = new URL('./examples/', import.meta.url);
/**
 * A missed emergency costs far more than a false alarm (which costs the citizen one extra line and an
 * agent a look), yet an alarm on every 油烟 complaint would teach citizens to ignore it. 0.6 on the
 * calibrated scale, behind the danger-word gate below (measured on safety-zh: rules and classifier
 * together catch 121 of 131 emergencies, with 6 false alarms in 155 ordinary matters).
 */
export const EMERGENCY_CONFIDENCE = 0.6;

/** Words of danger, broad on purpose: the gate in front of the emergency classifier. */
const DANGER =
  /(火|烟|燃气|煤气|天然气|液化气|漏|反锁|自燃|卷进|砸|拖|翻窗|带走|药|跟着我|跟踪|伤|烫|歪|冷汗|不清醒|车底|河边|活着|爆|炸|困|关在|卡在|压在|刀|枪|棍|砍|捅|打人|打架|打起来|殴打|抢|偷|撬|绑|拐|抱走|追|杀|救命|跳|死|活不|轻生|血|晕|昏|倒地|倒在|不动|没反应|叫不醒|呼吸|喘|心脏|胸口|中毒|吞|喝了|吃了|撞|车祸|翻车|追尾|摔|掉下|坠|溺|淹|落水|触电|抽搐|吐|噎|快生|羊水|惨叫|呼救|喊)/;

async function examplesOf(file: string): Promise<LabelledText[]> {
  const { examples } = parse(await readFile(new URL(file, EXAMPLES), 'utf8')) as {
    examples: Record<string, string[]>;
  };
  return Object.entries(examples).flatMap(([label, texts]) => texts.map((text) => ({ text, label })));
}

/**
 * The assistant's language understanding: safety checks (rules), demand type and category (classifiers
 * learnt at start-up from the labelled examples in assistant/nlu/examples and the taxonomy), and the
 * case record's fields. Deterministic; no network.
 */
export class Nlu {
  private constructor(
    readonly taxonomy: Taxonomy,
    private readonly demandTypes: TextClassifier,
    private readonly categories: CategoryClassifier,
    /** 119/110/120/122 or none, learnt from assistant/nlu/examples/safety.yaml: catches what the rules miss. */
    private readonly emergencies: TextClassifier,
  ) {}

  static async load(taxonomy?: Taxonomy): Promise<Nlu> {
    const tree = taxonomy ?? (await loadTaxonomy());
    const [demandTypes, categories, emergencies] = await Promise.all([
      examplesOf('demand-types.yaml').then((e) => TextClassifier.train(e)),
      examplesOf('categories.yaml').then((e) => CategoryClassifier.train(tree, e)),
      safetyExamples().then((e) => TextClassifier.train(e)),
    ]);
    return new Nlu(tree, demandTypes, categories, emergencies);
  }

  private learntEmergency(text: string): Emergency | undefined {
    // The classifier is asked only about texts that speak of danger at all: on a bare address or phone
    // number (unlike any example) its guess means nothing.
    if (!DANGER.test(text)) return undefined;
    const { label, confidence } = this.emergencies.classify(text);
    if (label === 'none' || confidence < EMERGENCY_CONFIDENCE) return undefined;
    const number = label as keyof typeof NUMBER_KIND;
    return { kind: NUMBER_KIND[number], number, matched: `classifier ${confidence.toFixed(2)}` };
  }

  analyze(text: string, expecting?: SlotName): Analysis {
    return {
      emergency: detectEmergency(text) ?? this.learntEmergency(text),
      wantsHuman: wantsHuman(text),
      nonAcceptance: detectNonAcceptance(text),
      ticketNumber: TICKET_NUMBER_IN_TEXT.exec(text)?.[0],
      demandType: this.demandTypes.classify(text),
      category: this.categories.classify(text),
      extraction: extractSlots(text, expecting),
    };
  }
}

/** The emergency classifier's label for the text, when it is confident enough (see EMERGENCY_CONFIDENCE). */
const NUMBER_KIND = { '119': 'fire', '110': 'crime', '120': 'medical', '122': 'traffic' } as const;

async function safetyExamples(): Promise<LabelledText[]> {
  const { emergency } = parse(await readFile(new URL('safety.yaml', EXAMPLES), 'utf8')) as {
    emergency: Record<string, string[]>;
  };
  return Object.entries(emergency).flatMap(([label, texts]) => texts.map((text) => ({ text, label })));
}
