/**
 * The panel's last shown result, kept on disk so that a window reload shows it again, as the study
 * view does (studyView.ts): `<storage>/panel/last.snapshot.json`, written when a result is shown and
 * read when VS Code restores the panel. The host passes the workspace's storage where a folder is open
 * (each window its own result), else the extension's global storage. No vscode import: unit-testable.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkSnapshot, type PanelSnapshot } from '../../shared/protocol/panel';

export function keptSnapshotPath(storageDir: string): string {
  return join(storageDir, 'panel', 'last.snapshot.json');
}

/**
 * The largest snapshot kept, in characters of JSON (a 4096-token result with the logit lens on every
 * layer of a deep model reaches tens of MB): a reload is not worth writing more on every result.
 */
export const KEEP_MAX_CHARS = 32 * 1024 * 1024;

/**
 * Writes the snapshot through a temporary file renamed into place (a reader never sees half of one);
 * one larger than `maxChars` is not kept, and the file of an older one goes, so a reload never shows
 * a result older than the last one shown. Returns whether it was kept.
 */
export function keepSnapshot(file: string, snap: PanelSnapshot, maxChars = KEEP_MAX_CHARS): boolean {
  const json = JSON.stringify(snap);
  if (json.length > maxChars) {
    rmSync(file, { force: true });
    return false;
  }
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, json);
  renameSync(tmp, file);
  return true;
}

/**
 * The kept snapshot, or null when there is none or it is not one the panel can render (the panel
 * protocol's own snapshot check: a file from an older version or a damaged one is never shown).
 */
export function readKeptSnapshot(file: string): PanelSnapshot | null {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  return v !== null && checkSnapshot(v) === null ? (v as PanelSnapshot) : null;
}
