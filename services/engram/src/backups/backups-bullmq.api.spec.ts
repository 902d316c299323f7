import { describeBackupsAndRestore } from '../testing/backups-and-restore.cases';

describeBackupsAndRestore('bullmq');
