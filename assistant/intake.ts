import type { Taxonomy } from '../tickets/taxonomy.js';
import type { DemandType, TicketDraft } from '../tickets/ticket-store.js';
import { maskIdNumber, type Extraction, type SlotName, type Slots } from './nlu/slots.js';

/** The case record being gathered over several turns (kept in the conversation state). */
export interface IntakeState {
  demandType: DemandType;
  /** A minor class code; undefined until the classifier is confident or the citizen picked one. */
  category?: string;
  description: string;
  slots: Partial<Slots>;
  anonymous: boolean;
  /** What the last reply asked for. */
  asked?: SlotName | 'category' | 'confirm';
  /** Categories offered when the classifier was unsure (the citizen picks one by name). */
  offered?: { code: string; name: string }[];
}

/** What the taxonomy says about a category, as far as the dialog needs it. */
export interface CategoryFacts {
  name: string;
  /** False where the case cannot be handled anonymously. */
  anonymous: boolean;
  /** False where the case is not tied to a place (no address is asked for). */
  place: boolean;
}

/** The taxonomy's facts about a minor class, as the dialog needs them (undefined for any other code). */
export function categoryFactsOf(taxonomy: Taxonomy): (code: string) => CategoryFacts | undefined {
  return (code) => {
    const minor = taxonomy.byCode(code);
    return minor?.level === 'minor' ? { name: minor.name, anonymous: minor.anonymous, place: minor.place } : undefined;
  };
}

/** Demand types that may stay anonymous (where the category allows it). */
const MAY_BE_ANONYMOUS = new Set<DemandType>(['report', 'suggestion']);

export function placeBound(intake: IntakeState, facts: CategoryFacts | undefined): boolean {
  if (intake.demandType === 'suggestion' || intake.demandType === 'praise' || intake.demandType === 'consultation')
    return false;
  return facts?.place ?? true;
}

export function mayBeAnonymous(intake: IntakeState, facts: CategoryFacts | undefined): boolean {
  return MAY_BE_ANONYMOUS.has(intake.demandType) && (facts?.anonymous ?? true);
}

/**
 * Merges what the citizen just said into the record. A slot given again replaces the old value (the
 * citizen's latest word counts: "不对，电话是…"); an address given without its district keeps the
 * district already known.
 */
export function applyExtraction(intake: IntakeState, extraction: Extraction): IntakeState {
  const slots = { ...intake.slots };
  for (const [key, value] of Object.entries(extraction.slots) as [SlotName, string][]) {
    if (key === 'address' && slots.district && !value.startsWith(slots.district) && !extraction.slots.district) {
      slots.address = slots.district + value;
    } else {
      slots[key] = value;
    }
  }
  if (slots.district && slots.address && !slots.address.includes(slots.district) && extraction.slots.district) {
    slots.address = slots.district + slots.address;
  }
  return { ...intake, slots, anonymous: intake.anonymous || extraction.anonymous };
}

/** A road alone is not a place a department can go to: a number, a building or a landmark is. */
const SPECIFIC =
  /[\d一二三四五六七八九十]|号|栋|幢|单元|小区|花园|苑|村|大厦|广场|中心|市场|学校|医院|公园|商场|路口|交叉口|门口|站|店|桥|厂/;

function specific(address: string, district: string): boolean {
  return SPECIFIC.test(address.replace(district, ''));
}

/** The next thing to ask, or `confirm` when the record is complete. One question at a time. */
export function nextQuestion(intake: IntakeState, facts: CategoryFacts | undefined): SlotName | 'category' | 'confirm' {
  if (intake.category === undefined) return 'category';
  if (placeBound(intake, facts)) {
    if (!intake.slots.district) return 'district';
    if (!intake.slots.address || !specific(intake.slots.address, intake.slots.district)) return 'address';
  }
  const anonymous = intake.anonymous && mayBeAnonymous(intake, facts);
  if (!anonymous && !intake.slots.name) return 'name';
  if (!intake.slots.phone) return 'phone';
  return 'confirm';
}

/** The ticket the record describes. */
export function draftOf(
  intake: IntakeState,
  facts: CategoryFacts | undefined,
  context: { channelId: string; conversationId: string },
): TicketDraft {
  const anonymous = intake.anonymous && mayBeAnonymous(intake, facts);
  return {
    demandType: intake.demandType,
    categoryCode: intake.category ?? null,
    description: intake.description,
    name: anonymous ? null : (intake.slots.name ?? null),
    phone: intake.slots.phone ?? null,
    idNumber: intake.slots.idNumber ?? null,
    anonymous,
    district: intake.slots.district ?? null,
    address: intake.slots.address ?? null,
    occurred: intake.slots.occurred ?? null,
    organisation: intake.slots.organisation ?? null,
    channelId: context.channelId,
    conversationId: context.conversationId,
  };
}

/** The summary read back before registering; an ID number only masked. */
export function summaryLines(
  intake: IntakeState,
  facts: CategoryFacts | undefined,
  labels: Record<string, string>,
  demandTypeName: string,
): string[] {
  const s = intake.slots;
  const anonymous = intake.anonymous && mayBeAnonymous(intake, facts);
  const lines: [string, string | undefined][] = [
    [labels.demandType!, demandTypeName],
    [labels.category!, facts?.name],
    [labels.description!, intake.description],
    [labels.address!, s.address ?? s.district],
    [labels.occurred!, s.occurred],
    [labels.organisation!, s.organisation],
    [labels.name!, anonymous ? labels.anonymous : s.name],
    [labels.phone!, s.phone],
    [labels.idNumber!, s.idNumber && maskIdNumber(s.idNumber)],
  ];
  return lines.filter(([, value]) => value).map(([label, value]) => `${label}：${value}`);
}
