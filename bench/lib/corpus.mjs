/**
 * Deterministic memory-like texts and search queries. Words are drawn with a Zipf-like skew from a
 * vocabulary of common words plus generated proper names, so FTS sees a realistic mix of very common
 * and rare terms rather than a uniform bag.
 */
import { fromDist } from './dist.mjs';

const TOPIC_WORDS = (
  'coffee tea breakfast lunch dinner recipe pasta curry salad bread kitchen garden balcony tomatoes basil ' +
  'meeting standup deadline sprint release deploy server database migration postgres redis kafka docker ' +
  'kubernetes typescript python rust golang api endpoint latency outage incident postmortem budget invoice ' +
  'report quarter revenue contract client vendor hiring interview offer salary promotion review feedback ' +
  'flight hotel booking train ticket passport visa holiday beach mountain hiking trail camping tent ' +
  'birthday anniversary wedding gift flowers concert band album playlist podcast book novel chapter ' +
  'doctor dentist appointment allergy peanuts medication vitamins running marathon gym yoga swimming ' +
  'bike car insurance mortgage rent apartment landlord plumber electrician furniture sofa desk monitor ' +
  'laptop keyboard phone charger backup password router wifi printer calendar reminder email slack ' +
  'sister brother mother father cousin friend neighbour colleague manager team designer engineer ' +
  'dog cat vet walk park weekend morning evening tonight tomorrow yesterday monday friday january july ' +
  'favourite prefers dislikes loves hates allergic vegetarian vegan spicy sweet decaf oat milk sugar'
).split(' ');

const VERBS = (
  'prefers mentioned decided asked booked moved cancelled scheduled finished started fixed broke ' +
  'bought sold recommended promised forgot remembered shipped reviewed approved rejected postponed ' +
  'planned discussed agreed noticed suggested organised'
).split(' ');

const FILLERS = (
  'the a to and of in for on with at from about after before during because so that this next last ' +
  'every some new old big small early late again still really maybe probably'
).split(' ');

const SYLLABLES =
  'ka lo mi ra ve no si ta ber lin dor fen gal har jo kel mar nor pel quin ros sul tor vin wen yar zel'.split(' ');

const TEMPLATES = [
  (w) => `${w.name} ${w.verb} the ${w.topic} ${w.filler} ${w.topic2} ${w.time}`,
  (w) => `Remember that ${w.name} ${w.verb} ${w.topic} and ${w.topic2} for ${w.project}`,
  (w) => `User ${w.verb} ${w.topic} over ${w.topic2} ${w.filler} ${w.time}`,
  (w) => `Decision: use ${w.topic} for ${w.project} because the ${w.topic2} ${w.filler} ${w.topic3}`,
  (w) => `${w.project} ${w.topic} ${w.verb} ${w.time} after the ${w.topic2} with ${w.name}`,
  (w) => `Note to self: ${w.topic} ${w.filler} ${w.topic2} ${w.topic3} before ${w.time}`,
];

const TIMES = 'yesterday|last week|on monday|this morning|next friday|in march|at the weekend|tonight'.split('|');

/** Small, fast, seedable PRNG (the service's test-data generator, mulberry32). */
export const random = (seed) => fromDist('testing/seeded-random.js').seededRandom(seed);

/** Index 0..n-1 with probability ∝ 1/(i+1): a few words are everywhere, most are rare. */
function zipf(next, n) {
  return Math.min(n - 1, Math.floor(Math.exp(next() * Math.log(n + 1)) - 1));
}

function properNames(next, count) {
  const names = new Set();
  while (names.size < count) {
    const parts = 2 + Math.floor(next() * 2);
    const name = Array.from({ length: parts }, () => SYLLABLES[Math.floor(next() * SYLLABLES.length)]).join('');
    names.add(name[0].toUpperCase() + name.slice(1));
  }
  return [...names];
}

export class Corpus {
  constructor(seed = 7) {
    this.next = random(seed);
    this.people = properNames(this.next, 1500);
    this.projects = properNames(this.next, 800).map((name) => `Project ${name}`);
    this.topics = shuffle(TOPIC_WORDS, this.next);
  }

  words() {
    const next = this.next;
    const pick = (list) => list[zipf(next, list.length)];
    return {
      name: pick(this.people),
      project: pick(this.projects),
      verb: VERBS[Math.floor(next() * VERBS.length)],
      topic: pick(this.topics),
      topic2: pick(this.topics),
      topic3: pick(this.topics),
      filler: FILLERS[Math.floor(next() * FILLERS.length)],
      time: TIMES[Math.floor(next() * TIMES.length)],
    };
  }

  /** One clause of 4–20 words. */
  sentence() {
    const template = TEMPLATES[Math.floor(this.next() * TEMPLATES.length)];
    let text = template(this.words());
    const extra = Math.floor(this.next() * 8);
    for (let i = 0; i < extra; i++)
      text += ` ${this.next() < 0.5 ? FILLERS[Math.floor(this.next() * FILLERS.length)] : this.words().topic}`;
    return text;
  }

  /** `count` distinct sentences. */
  sentences(count) {
    const seen = new Set();
    while (seen.size < count) seen.add(this.sentence());
    return [...seen];
  }

  /** `count` distinct memories of minWords–maxWords words. */
  memories(count, minWords = 8, maxWords = 40) {
    const seen = new Set();
    while (seen.size < count) {
      const length = minWords + Math.floor(this.next() * (maxWords - minWords + 1));
      let text = this.sentence();
      while (wordCount(text) < length) text += `. ${this.sentence()}`;
      text = text.split(' ').slice(0, length).join(' ') + '.';
      seen.add(text);
    }
    return [...seen];
  }

  /** Short questions and phrases like an agent would search with. */
  queries(count) {
    const shapes = [
      (w) => `what does ${w.name} think about ${w.topic}`,
      (w) => `${w.topic} ${w.topic2}`,
      (w) => `when is the ${w.topic} for ${w.project}`,
      (w) => `which ${w.topic} did we choose`,
      (w) => `${w.name} ${w.topic} ${w.time}`,
    ];
    return Array.from({ length: count }, () => shapes[Math.floor(this.next() * shapes.length)](this.words()));
  }

  /** Tags and type for a memory, skewed like real use. */
  labels() {
    const tags = ['work', 'personal', 'health', 'travel', 'food', 'family', 'finance', 'tech'];
    const types = ['note', 'note', 'note', 'decision', 'preference', 'fact', 'event'];
    const first = tags[zipf(this.next, tags.length)];
    const second = tags[Math.floor(this.next() * tags.length)];
    return { tags: [...new Set([first, second])], memoryType: types[Math.floor(this.next() * types.length)] };
  }
}

function shuffle(list, next) {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

export function wordCount(text) {
  return text.split(/\s+/).filter(Boolean).length;
}
