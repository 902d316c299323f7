// Memory folders for the agent evaluation, written for Engram (invented people, no dataset content).
// Each is a map of file path → text in the layout the mem-agent model was trained on.

const alex = {
  'user.md': `# User Information
- name: Alex Rivera
- birthday: 1990-04-12
- city: Porto
- job: backend engineer

## User Relationships
- **Partner**: Sam Lee [[entities/sam_lee.md]]
- **Employer**: Acme Corp [[entities/acme_corp.md]]
- **Club**: Porto Climbing Club [[entities/porto_climbing_club.md]]

## Preferences
- favourite_food: ramen
`,
  'entities/sam_lee.md': `# Sam Lee
- relation: partner of Alex
- birthday: 1991-07-23
- age: 34
- email: sam.lee@lumen.example
- **Employer**: Lumen Studio
- **Partner**: Alex Rivera [[user.md]]
`,
  'entities/acme_corp.md': `# Acme Corp
- industry: logistics
- city: Porto
- **Employee**: Alex Rivera, backend engineer [[user.md]]
`,
  'entities/porto_climbing_club.md': `# Porto Climbing Club
- meets: Thursdays 19:00
- place: Ribeira wall
- **Member**: Alex Rivera [[user.md]]
`,
};

const priya = {
  'user.md': `# User Information
- name: Priya Nair
- birthday: 1985-11-02
- blood_type: O positive
- allergies: penicillin

## User Relationships
- **Doctor**: Dr. Ade Okafor [[entities/dr_ade_okafor.md]]
- **Employer**: Bright Labs [[entities/bright_labs.md]]
`,
  'entities/dr_ade_okafor.md': `# Dr. Ade Okafor
- role: general practitioner
- phone: +44 20 7946 0321
- practice: Camden Health Centre
- **Patient**: Priya Nair [[user.md]]
`,
  'entities/bright_labs.md': `# Bright Labs
- industry: biotech
- **Employee**: Priya Nair, research lead [[user.md]]
`,
};

const jonas = {
  'user.md': `# User Information
- name: Jonas Weber
- city: Berlin

## User Relationships
- **Project**: Atlas [[entities/project_atlas.md]]
- **Colleague**: Mia Schulz [[entities/mia_schulz.md]]
`,
  'entities/project_atlas.md': `# Project Atlas
- goal: route planning for delivery vans
- **Design lead**: Mia Schulz [[entities/mia_schulz.md]]
- **Owner**: Jonas Weber [[user.md]]

## Milestones
| date | milestone |
|------|-----------|
| 2025-06-01 | alpha |
| 2025-09-15 | beta |
`,
  'entities/mia_schulz.md': `# Mia Schulz
- role: design lead
- phone: +49 30 1234 5678
- city: Hamburg
- moved: 2024-03-01, from Berlin to Hamburg
- **Project**: Atlas [[entities/project_atlas.md]]
- **Colleague**: Jonas Weber [[user.md]]
`,
};

export const MEMORIES = { alex, priya, jonas };
