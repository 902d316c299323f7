import './styles.css';
import { AccessView } from './components/access-view';
import { ActivityView } from './components/activity-view';
import { AgentView } from './components/agent-view';
import { AuditLog } from './components/audit-log';
import { AppShell } from './components/app-shell';
import { ConflictsView } from './components/conflicts-view';
import { ConfirmDialog } from './components/confirm-dialog';
import { ImportView } from './components/import-view';
import { JobsView } from './components/jobs-view';
import { KeyPrompt } from './components/key-prompt';
import { MemoriesView } from './components/memories-view';
import { MemoryCard } from './components/memory-card';
import { MemoryDetail } from './components/memory-detail';
import { MemoryForm } from './components/memory-form';
import { OverviewView } from './components/overview-view';
import { SearchView } from './components/search-view';
import { TrashView } from './components/trash-view';

const elements: Record<string, CustomElementConstructor> = {
  'access-view': AccessView,
  'activity-view': ActivityView,
  'agent-view': AgentView,
  'audit-log': AuditLog,
  'conflicts-view': ConflictsView,
  'confirm-dialog': ConfirmDialog,
  'import-view': ImportView,
  'jobs-view': JobsView,
  'key-prompt': KeyPrompt,
  'memories-view': MemoriesView,
  'memory-card': MemoryCard,
  'memory-detail': MemoryDetail,
  'memory-form': MemoryForm,
  'overview-view': OverviewView,
  'search-view': SearchView,
  'trash-view': TrashView,
  'engram-app': AppShell, // last: it renders the others
};
for (const [name, element] of Object.entries(elements)) customElements.define(name, element);
