import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { loadTaxonomy, type Taxonomy } from '../../tickets/taxonomy.js';
import { TICKET_NUMBER_IN_TEXT, type DemandType } from '../../tickets/ticket-store.js';
import { CategoryClassifier } from './category-classifier.js';
import { asksAdvice, asksToRegister, demandCue, isClosing, isQuestion, isStatusQuery, isVague } from './intents.js';
import {
  ASKS_HOW,
  detectEmergency,
  detectNonAcceptance,
  HABITUAL,
  NOT_NOW,
  NOT_REFUSED,
  wantsHuman,
  type Emergency,
  type NonAcceptance,
  type NonAcceptanceReason,
} from './safety.js';
import { extractSlots, type Extraction, type SlotName } from './slots.js';
import { modelKey, ModelCache } from './model-cache.js';
import { TextClassifier, type Classification, type LabelledText } from './text-classifier.js';
import type { Logger } from '../../core/logger.js';

/** Everything the turn needs to know about one message, computed before the (pure) turn runs. */
export interface Analysis {
  emergency?: Emergency;
  wantsHuman: boolean;
  nonAcceptance?: NonAcceptance;
  /** A ticket number in the text (a status query), and a phone if given with it. */
  ticketNumber?: string;
  /** Asks after a ticket registered before, without giving its number. */
  statusQuery: boolean;
  /**
   * The classifier's demand type, overruled by the citizen's own word for it ("我要投诉", "举报", "表扬")
   * when there is one (`cue`).
   */
  demandType: Classification;
  cue?: DemandType;
  /** Phrased as a question. */
  question: boolean;
  /** Asks what to do or what the rules are, not for someone to act (a knowledge answer may be enough). */
  advice: boolean;
  /** Only announces a matter without saying what it is ("我要反映个事"). */
  vague: boolean;
  /** Thanks or goodbye. */
  closing: boolean;
  /** Takes up the offer to register a question that could not be answered ("登记"). */
  register: boolean;
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

/**
 * Smoke and flame that are part of ordinary life (a smoker, welding, a wok): the classifier alone does not
 * call 119 on them; the rules still do when a fire is described.
 */
const ORDINARY_FIRE = /(抽烟|吸烟|烟头|香烟|烟味|油烟|电焊|焊接|爆炒|烧烤|烧沥青|烧垃圾|焚烧|明火作业)/;

/** A matter not accepted needs one of these words: the gate in front of the non-acceptance classifier. */
const CHANNEL =
  /(法院|法官|起诉|诉讼|官司|判决|判了|改判|案子|执行|调解书|仲裁|复议|信访|上访|市长信箱|纪委|监委|纪检|干部|公务员|官员|领导|局长|科长|处长|主任|书记|村长|镇长|所长|队长|公开)/;
/** Below this the non-acceptance classifier's verdict is not acted on; the rules' verdicts always are. */
export const REFUSAL_CONFIDENCE = 0.7;

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
    /** A reason not to accept, or none, learnt from the same file's nonAcceptance section. */
    private readonly refusals: TextClassifier,
  ) {}

  /**
   * Learns the classifiers from the examples, or, with a `cacheDir`, reads them from the model cache when
   * the examples, the taxonomy and the training code are the ones they were learnt from (training takes
   * seconds; reading, a fraction of that).
   */
  static async load(taxonomy?: Taxonomy, options: { cacheDir?: string; logger?: Logger } = {}): Promise<Nlu> {
    const tree = taxonomy ?? (await loadTaxonomy());
    const [demandExamples, categoryExamples, safety] = await Promise.all([
      examplesOf('demand-types.yaml'),
      examplesOf('categories.yaml'),
      safetyExamples(),
    ]);
    const cache = options.cacheDir ? new ModelCache(options.cacheDir, options.logger) : undefined;
    const key =
      cache && (await modelKey(tree, [demandExamples, categoryExamples, safety.emergency, safety.nonAcceptance]));
    const saved = key ? await cache!.read(key) : undefined;
    if (saved) {
      try {
        return new Nlu(
          tree,
          TextClassifier.restore(saved.demandTypes),
          await CategoryClassifier.train(tree, categoryExamples, saved.categoryTemperature),
          TextClassifier.restore(saved.emergencies),
          TextClassifier.restore(saved.refusals),
        );
      } catch (error) {
        options.logger?.warn({ err: error }, 'damaged language model cache; training instead');
      }
    }
    const [demandTypes, categories, emergencies, refusals] = await Promise.all([
      TextClassifier.train(demandExamples),
      CategoryClassifier.train(tree, categoryExamples),
      TextClassifier.train(safety.emergency),
      TextClassifier.train(safety.nonAcceptance),
    ]);
    if (key) {
      await cache!.write(key, {
        demandTypes: demandTypes.toJSON(),
        categoryTemperature: categories.temperature,
        emergencies: emergencies.toJSON(),
        refusals: refusals.toJSON(),
      });
    }
    return new Nlu(tree, demandTypes, categories, emergencies, refusals);
  }

  private learntEmergency(text: string): Emergency | undefined {
    // The classifier is asked only about texts that speak of danger at all: on a bare address or phone
    // number (unlike any example) its guess means nothing.
    if (!DANGER.test(text)) return undefined;
    // What the rules know to be no emergency now (a past event, a worry, a daily nuisance, a smoker) the
    // classifier does not overrule.
    if (NOT_NOW.test(text) || HABITUAL.test(text) || ORDINARY_FIRE.test(text)) return undefined;
    const { label, confidence } = this.emergencies.classify(text);
    if (label === 'none' || confidence < EMERGENCY_CONFIDENCE) return undefined;
    const number = label as keyof typeof NUMBER_KIND;
    return { kind: NUMBER_KIND[number], number, matched: `classifier ${confidence.toFixed(2)}` };
  }

  private learntRefusal(text: string): NonAcceptance | undefined {
    // Questions about the channel ("是先去仲裁还是先去法院") are consultations the hotline answers.
    if (!CHANNEL.test(text) || NOT_REFUSED.test(text) || ASKS_HOW.test(text) || /(还是|下一步)/.test(text)) {
      return undefined;
    }
    const { label, confidence } = this.refusals.classify(text);
    if (label === 'none' || confidence < REFUSAL_CONFIDENCE) return undefined;
    return { reason: label as NonAcceptanceReason, matched: `classifier ${confidence.toFixed(2)}` };
  }

  analyze(text: string, expecting?: SlotName): Analysis {
    const cue = demandCue(text);
    const learnt = this.demandTypes.classify(text);
    return {
      emergency: detectEmergency(text) ?? this.learntEmergency(text),
      wantsHuman: wantsHuman(text),
      nonAcceptance: detectNonAcceptance(text) ?? this.learntRefusal(text),
      ticketNumber: TICKET_NUMBER_IN_TEXT.exec(text)?.[0],
      statusQuery: isStatusQuery(text),
      demandType: cue ? withCue(learnt, cue) : learnt,
      cue,
      question: isQuestion(text),
      advice: asksAdvice(text),
      vague: isVague(text),
      closing: isClosing(text),
      register: asksToRegister(text),
      category: this.categories.classify(text),
      extraction: extractSlots(text, expecting),
    };
  }
}

/** The citizen's own word decides the type; the confidence is at least CUE_CONFIDENCE. */
const CUE_CONFIDENCE = 0.95;

function withCue(learnt: Classification, cue: DemandType): Classification {
  const own = learnt.ranked.find((r) => r.label === cue)?.probability ?? 0;
  return { ...learnt, label: cue, confidence: Math.max(own, CUE_CONFIDENCE) };
}

/** The emergency classifier's label for the text, when it is confident enough (see EMERGENCY_CONFIDENCE). */
const NUMBER_KIND = { '119': 'fire', '110': 'crime', '120': 'medical', '122': 'traffic' } as const;

async function safetyExamples(): Promise<{ emergency: LabelledText[]; nonAcceptance: LabelledText[] }> {
  const file = parse(await readFile(new URL('safety.yaml', EXAMPLES), 'utf8')) as Record<
    'emergency' | 'nonAcceptance',
    Record<string, string[]>
  >;
  const labelled = (section: Record<string, string[]>) =>
    Object.entries(section).flatMap(([label, texts]) => texts.map((text) => ({ text, label })));
  return { emergency: labelled(file.emergency), nonAcceptance: labelled(file.nonAcceptance) };
}
