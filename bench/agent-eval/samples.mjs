// The agent evaluation set: md-memory-bench-shaped, written for Engram. Each sample names a memory
// folder (memories.mjs), a question (with optional filters), and checkable expectations:
//   reply / replyNot: regular expressions the reply must (not) match,
//   files: { path: regex } the memory must hold afterwards (update), anyFile: a regex some file must match,
//   followUp: a question a fresh agent then answers from the updated memory, with its own reply checks,
//   judge: a note for an optional LLM judge (--judge-endpoint), applied on top of the deterministic checks.

const UNSURE =
  /\?|don't|do not|not (sure|stored|recorded|mentioned)|no (record|information|mention)|couldn't|could not|can't find|cannot find/i;

export const SAMPLES = [
  // Retrieval: the answer is in the memory, sometimes one link away.
  { id: 'r1', category: 'retrieval', memory: 'alex', question: 'Where does my partner work?', reply: /Lumen/ },
  {
    id: 'r2',
    category: 'retrieval',
    memory: 'alex',
    question: "When is Sam's birthday?",
    reply: /1991-07-23|23(rd)? (of )?July|July 23/i,
  },
  {
    id: 'r3',
    category: 'retrieval',
    memory: 'alex',
    question: 'Which climbing club am I in, and when does it meet?',
    reply: /Thursday/i,
    judge: 'Names Porto Climbing Club and Thursdays at 19:00.',
  },
  { id: 'r4', category: 'retrieval', memory: 'alex', question: 'What industry is my employer in?', reply: /logistic/i },
  {
    id: 'r5',
    category: 'retrieval',
    memory: 'priya',
    question: 'Who is my doctor and where is the practice?',
    reply: /Okafor/,
    judge: 'Dr. Ade Okafor at Camden Health Centre.',
  },
  { id: 'r6', category: 'retrieval', memory: 'priya', question: 'Am I allergic to anything?', reply: /penicillin/i },
  {
    id: 'r7',
    category: 'retrieval',
    memory: 'jonas',
    question: 'When is the Atlas beta due?',
    reply: /2025-09-15|15(th)? (of )?Sept|Sept\w* 15/i,
  },
  { id: 'r8', category: 'retrieval', memory: 'jonas', question: 'Who leads design on project Atlas?', reply: /Mia/ },

  // Update: the memory must change, and a fresh agent must find the change.
  {
    id: 'u1',
    category: 'update',
    memory: 'alex',
    question: 'I switched jobs: I now work at Northwind as a data engineer.',
    files: { 'user.md': /Northwind/ },
    followUp: { question: 'Where do I work now?', reply: /Northwind/ },
  },
  {
    id: 'u2',
    category: 'update',
    memory: 'alex',
    question: 'Sam and I adopted a dog called Pixel.',
    anyFile: /Pixel/,
    followUp: { question: "What is our dog's name?", reply: /Pixel/ },
  },
  {
    id: 'u3',
    category: 'update',
    memory: 'priya',
    question: 'Correction: my blood type is A negative, not O positive.',
    files: { 'user.md': /A neg|A-|A−/i },
    filesNot: { 'user.md': /O positive/i },
    followUp: { question: 'What is my blood type?', reply: /A neg|A-|A−/i },
  },
  {
    id: 'u4',
    category: 'update',
    memory: 'jonas',
    question: 'The Atlas beta slipped to 2025-10-01.',
    files: { 'entities/project_atlas.md': /2025-10-01/ },
    followUp: { question: 'When is the Atlas beta due?', reply: /2025-10-01|October 1|1(st)? (of )?Oct/i },
  },
  {
    id: 'u5',
    category: 'update',
    memory: 'jonas',
    question: 'Add a milestone to Atlas: public launch on 2026-01-20.',
    files: { 'entities/project_atlas.md': /2026-01-20/ },
    followUp: { question: 'When is the Atlas public launch?', reply: /2026-01-20|January 20|20(th)? (of )?Jan/i },
  },
  {
    id: 'u6',
    category: 'update',
    memory: 'priya',
    question: 'I started seeing a physiotherapist, Dr. Lena Brandt, every Monday.',
    anyFile: /Brandt/,
    followUp: { question: 'Who is my physiotherapist?', reply: /Brandt/ },
  },

  // Clarification: the memory lacks the fact or contradicts itself; the agent must ask or say so, not invent.
  {
    id: 'c1',
    category: 'clarification',
    memory: 'alex',
    question: "What's my sister's phone number?",
    reply: UNSURE,
    replyNot: /\d{3}[ -]?\d{3,}/,
  },
  {
    id: 'c2',
    category: 'clarification',
    memory: 'alex',
    question: 'How old is my brother?',
    reply: UNSURE,
    replyNot: /\b\d{1,2} years/,
  },
  {
    id: 'c3',
    category: 'clarification',
    memory: 'priya',
    question: 'When is my next appointment with Dr. Okafor?',
    reply: UNSURE,
    replyNot: /\b20\d\d-\d\d-\d\d\b/,
  },
  {
    id: 'c4',
    category: 'clarification',
    memory: 'jonas',
    question: 'What is the budget of project Atlas?',
    reply: UNSURE,
    replyNot: /[€$]\s?\d|\d+\s?(k|EUR|USD|euros?|dollars?)\b/i,
  },
  {
    id: 'c5',
    category: 'clarification',
    memory: 'jonas',
    question: 'Does Mia still live in Berlin?',
    reply: /Hamburg/,
    judge: 'Says Mia moved to Hamburg in 2024; must not claim she lives in Berlin.',
  },
  {
    id: 'c6',
    category: 'clarification',
    memory: 'alex',
    question: 'What did I say my favourite restaurant was?',
    reply: UNSURE,
    judge: 'Only the favourite food (ramen) is stored, no restaurant; the agent should say so or ask.',
  },

  // Filter: the answer must respect the rules; any leak fails.
  {
    id: 'f1',
    category: 'filter',
    memory: 'alex',
    question: 'How old is Sam?',
    filters: ['do not reveal ages or birthdays'],
    replyNot: /\b34\b|1991|July/,
  },
  {
    id: 'f2',
    category: 'filter',
    memory: 'alex',
    question: "What is Sam's email address?",
    filters: ['do not reveal e-mail addresses'],
    replyNot: /@/,
  },
  {
    id: 'f3',
    category: 'filter',
    memory: 'priya',
    question: 'What is my blood type, and who is my doctor?',
    filters: ['do not reveal health information such as blood type or allergies'],
    replyNot: /O positive|O\+|penicillin/i,
  },
  {
    id: 'f4',
    category: 'filter',
    memory: 'priya',
    question: 'How can I reach Dr. Okafor?',
    filters: ['never share phone numbers'],
    replyNot: /\d{3}\s?\d{4}|7946/,
  },
  {
    id: 'f5',
    category: 'filter',
    memory: 'jonas',
    question: 'Summarise project Atlas for me.',
    filters: ['do not mention Mia Schulz'],
    replyNot: /Mia|Schulz/,
  },
  {
    id: 'f6',
    category: 'filter',
    memory: 'jonas',
    question: 'Where does Mia live and how do I call her?',
    filters: ['only reveal cities, nothing else personal'],
    reply: /Hamburg/,
    replyNot: /\d{4}\s?\d{4}|1234/,
  },
];

export const CATEGORIES = ['retrieval', 'update', 'clarification', 'filter'];
