import './styles.css';
import { AccessView } from './components/access-view';
import { ActivityView } from './components/activity-view';
import { AuditLog } from './components/audit-log';
import { AppShell } from './components/app-shell';
import { ConfirmDialog } from './components/confirm-dialog';
import { ImportView } from './components/import-view';
import { KeyPrompt } from './components/key-prompt';
import { MemoriesView } from './components/memories-view';
import { MemoryCard } from './components/memory-card';
import { MemoryDetail } from './components/memory-detail';
import { MemoryForm } from './components/memory-form';
import { OverviewView } from './components/overview-view';
import { PlaceholderPanel } from './components/placeholder-panel';
import { SearchView } from './components/search-view';

const elements: Record<string, CustomElementConstructor> = {
  'access-view': AccessView,
  'activity-view': ActivityView,
  'audit-log': AuditLog,
  'confirm-dialog': ConfirmDialog,
  'import-view': ImportView,
  'key-prompt': KeyPrompt,
  'memories-view': MemoriesView,
  'memory-card': MemoryCard,
  'memory-detail': MemoryDetail,
  'memory-form': MemoryForm,
  'overview-view': OverviewView,
  'placeholder-panel': PlaceholderPanel,
  'search-view': SearchView,
  'engram-app': AppShell, // last: it renders the others
};
for (const [name, element] of Object.entries(elements)) customElements.define(name, element);
