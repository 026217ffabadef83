import { labUp, printStatus, labDown } from '@mayday/lab';
import { isMaydayError, formatDiagnostic } from '@mayday/model';
const cmd = process.argv[2] ?? 'up';
try {
  if (cmd === 'up') await labUp({ root: '/work/wt/lab', dryRun: process.argv.includes('--dry-run') });
  if (cmd === 'status') await printStatus('/work/wt/lab', (t) => process.stdout.write(t));
  if (cmd === 'down') await labDown('/work/wt/lab');
} catch (e) {
  if (isMaydayError(e)) {
    for (const d of e.diagnostics) console.error(formatDiagnostic(d));
    process.exit(1);
  }
  throw e;
}
